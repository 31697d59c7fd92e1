import type { Trx } from "~/db.server";
import { enqueueEmail } from "~/domain/email/outbox.server";
import { portalUrl } from "~/domain/members/accounts.server";
import { formatMoney } from "~/lib/money";
import type { RewardRedemption } from "~db/schema";

interface MemberForEmail {
  email: string;
  name: string | null;
  merchant_name: string;
  slug: string;
  currency: string;
  timezone: string;
}

export async function memberForEmail(trx: Trx, merchantId: string, memberId: string): Promise<MemberForEmail> {
  return trx
    .selectFrom("members")
    .innerJoin("merchants", "merchants.id", "members.merchant_id")
    .select(["members.email", "members.name", "merchants.name as merchant_name", "merchants.slug", "merchants.currency", "merchants.timezone"])
    .where("members.merchant_id", "=", merchantId)
    .where("members.id", "=", memberId)
    .executeTakeFirstOrThrow();
}

/** What a redemption gives, in plain words for e-mails and pages. */
export function rewardSummary(r: Pick<RewardRedemption, "kind" | "discount_minor" | "percent_off" | "min_order_minor" | "product_name">, currency: string): string {
  const money = (n: number | null) => formatMoney(n ?? 0, currency);
  switch (r.kind) {
    case "fixed_discount":
    case "points_discount":
      return `${money(r.discount_minor)} off your order`;
    case "percent_discount":
      return `${r.percent_off}% off${r.min_order_minor ? ` orders of ${money(r.min_order_minor)} or more` : " your order"}`;
    case "free_product":
      return `a free ${r.product_name ?? "product"}`;
    case "store_credit":
      return `${money(r.discount_minor)} store credit`;
    case "gift":
      return "a gift our team will hand to you";
  }
}

export async function sendRewardIssuedEmail(trx: Trx, merchantId: string, r: RewardRedemption, m?: MemberForEmail): Promise<void> {
  const member = m ?? (await memberForEmail(trx, merchantId, r.member_id));
  const expires = r.expires_at
    ? `Use it by ${new Intl.DateTimeFormat("en-US", { dateStyle: "medium", timeZone: member.timezone }).format(r.expires_at)}`
    : null;
  await enqueueEmail(trx, merchantId, {
    template: "reward-issued",
    to: member.email,
    props: {
      memberName: member.name,
      merchantName: member.merchant_name,
      portalUrl: `${portalUrl(member.slug)}/rewards/mine`,
      rewardName: r.reward_name,
      code: r.code,
      summary: rewardSummary(r, member.currency),
      expiresNote: expires,
    },
  });
}

export async function sendRewardVoidedEmail(trx: Trx, merchantId: string, r: RewardRedemption): Promise<void> {
  const member = await memberForEmail(trx, merchantId, r.member_id);
  await enqueueEmail(trx, merchantId, {
    template: "reward-voided",
    to: member.email,
    props: {
      memberName: member.name,
      merchantName: member.merchant_name,
      portalUrl: `${portalUrl(member.slug)}/rewards`,
      rewardName: r.reward_name,
      pointsReturned: r.points_spent,
    },
  });
}
