import type { Trx } from "~/db.server";
import { networkValue } from "~/domain/referrals/tree.server";
import { formatMoney } from "~/lib/money";
import type { ReferralStatus } from "~/components/referrals/views";

export interface MemberReferralPanelView {
  code: string | null;
  referredBy: { memberId: string; name: string; status: ReferralStatus } | null;
  direct: number;
  networkSize: number;
  networkValue: string;
  blocked: boolean;
}

/** The referral facts of one member for their admin page: who referred them, their code, their network. */
export async function memberReferralPanel(trx: Trx, merchantId: string, memberId: string, currency: string): Promise<MemberReferralPanelView> {
  const [code, referral, block, network] = await Promise.all([
    trx.selectFrom("referral_codes").select("code").where("merchant_id", "=", merchantId).where("member_id", "=", memberId).executeTakeFirst(),
    trx
      .selectFrom("referrals as r")
      .innerJoin("members as m", (j) => j.onRef("m.merchant_id", "=", "r.merchant_id").onRef("m.id", "=", "r.referrer_id"))
      .select(["r.referrer_id", "r.status", "m.name", "m.email"])
      .where("r.merchant_id", "=", merchantId)
      .where("r.member_id", "=", memberId)
      .executeTakeFirst(),
    trx.selectFrom("referral_blocks").select("member_id").where("merchant_id", "=", merchantId).where("member_id", "=", memberId).executeTakeFirst(),
    networkValue(trx, merchantId, memberId),
  ]);
  return {
    code: code?.code ?? null,
    referredBy: referral ? { memberId: referral.referrer_id, name: referral.name ?? referral.email, status: referral.status } : null,
    direct: network.levels.find((l) => l.level === 1)?.count ?? 0,
    networkSize: network.size,
    networkValue: formatMoney(network.totalMinor, currency),
    blocked: Boolean(block),
  };
}
