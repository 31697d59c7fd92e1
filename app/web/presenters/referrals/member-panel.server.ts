import { sql } from "kysely";
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
  // The code, who referred them and the block in one statement (three round trips before; issue 14).
  const { rows } = await sql<{ code: string | null; referrer_id: string | null; status: ReferralStatus | null; name: string | null; email: string | null; blocked: boolean }>`
    select (select code from referral_codes where merchant_id = ${merchantId} and member_id = ${memberId}) as code,
      r.referrer_id, r.status, m.name, m.email,
      exists (select 1 from referral_blocks where merchant_id = ${merchantId} and member_id = ${memberId}) as blocked
    from (select 1) one
    left join referrals r on r.merchant_id = ${merchantId} and r.member_id = ${memberId}
    left join members m on m.merchant_id = r.merchant_id and m.id = r.referrer_id`.execute(trx);
  const facts = rows[0]!;
  const code = facts.code === null ? undefined : { code: facts.code };
  const referral = facts.referrer_id ? { referrer_id: facts.referrer_id, status: facts.status!, name: facts.name, email: facts.email! } : undefined;
  const block = facts.blocked;
  const network = await networkValue(trx, merchantId, memberId);
  return {
    code: code?.code ?? null,
    referredBy: referral ? { memberId: referral.referrer_id, name: referral.name ?? referral.email, status: referral.status } : null,
    direct: network.levels.find((l) => l.level === 1)?.count ?? 0,
    networkSize: network.size,
    networkValue: formatMoney(network.totalMinor, currency),
    blocked: Boolean(block),
  };
}
