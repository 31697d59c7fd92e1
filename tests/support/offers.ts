import { sql } from "kysely";
import { createMemberSession } from "~/auth/member-session.server";
import { memberCookieName } from "~/auth/cookies.server";
import { withTenant } from "~/db.server";
import { createOffer, type Offer } from "~/domain/offers/offers.server";
import type { OfferForm } from "~/domain/offers/schemas";
import { createSegment } from "~/domain/segments/segments.server";
import { createKey } from "./api";
import { createMerchant, createStaff, insertMembers } from "./admin";
import { testDb } from "./db";

/** A merchant with members (the first `tagged` of them tagged `vip`), a "VIP" segment and one offer for it. */

export const STAFF = { type: "staff" as const, id: "stf_test" };

const local = (d: Date) => d.toISOString().slice(0, 16);

export async function offersFixture(opts: { members: number; tagged: number; holdoutPercent: number; offer?: Partial<OfferForm> }) {
  const merchant = await createMerchant();
  const owner = await createStaff(merchant.id, "owner");
  const memberIds = await insertMembers(
    merchant.id,
    Array.from({ length: opts.members }, (_, i) => ({ email: `m${i}-${merchant.id.slice(4, 12)}@example.com`, name: `Member ${i}` })),
  );
  const vip = memberIds.slice(0, opts.tagged);
  const outsiders = memberIds.slice(opts.tagged);
  const at = new Date();
  const { segment, offer } = await withTenant(testDb(), merchant.id, async (trx) => {
    if (vip.length) await trx.insertInto("member_tags").values(vip.map((member_id) => ({ merchant_id: merchant.id, member_id, tag: "vip" }))).execute();
    const segment = await createSegment(trx, merchant.id, { name: "VIP", description: null, rule: { type: "group", op: "all", conditions: [{ type: "condition", attribute: "tags", operator: "has_any", value: ["vip"] }] } }, STAFF);
    const form: OfferForm = {
      title: "Double points week",
      description: "Twice the points on every order.",
      imageUrl: null,
      kind: "multiplier",
      rewardId: null,
      multiplierPercent: 200,
      multiplierDays: 7,
      segmentId: segment.id,
      startsAt: local(new Date(at.getTime() - 86_400_000)),
      endsAt: local(new Date(at.getTime() + 30 * 86_400_000)),
      stockTotal: undefined,
      holdoutPercent: opts.holdoutPercent,
      ...opts.offer,
    };
    const offer = await createOffer(trx, { id: merchant.id, timezone: "UTC" }, form, STAFF, at);
    return { segment, offer };
  });
  const arms = await armsOf(merchant.id, offer);
  const { token } = await createKey(merchant.id, ["offers:read", "offers:write", "members:read"]);
  return { merchant, owner, memberIds, vip, outsiders, segment, offer, token, ...arms };
}

export async function armsOf(merchantId: string, offer: Pick<Offer, "experimentId">) {
  const rows = await withTenant(testDb(), merchantId, (trx) =>
    trx.selectFrom("experiment_assignments").select(["member_id", "arm"]).where("merchant_id", "=", merchantId).where("experiment_id", "=", offer.experimentId).execute(),
  );
  return { treated: rows.filter((r) => r.arm === "treatment").map((r) => r.member_id), control: rows.filter((r) => r.arm === "control").map((r) => r.member_id) };
}

export async function eventsOf(merchantId: string, experimentId: string, memberIds: string[], kinds: string[]) {
  if (!memberIds.length) return [];
  const res = await withTenant(testDb(), merchantId, (trx) =>
    sql<{ member_id: string; kind: string }>`select member_id, kind from experiment_events
      where merchant_id = ${merchantId} and experiment_id = ${experimentId} and member_id = any(${memberIds}::text[]) and kind = any(${kinds}::text[])`.execute(trx),
  );
  return res.rows;
}

export async function memberCookie(merchant: { id: string; slug: string }, memberId: string): Promise<string> {
  const { token } = await createMemberSession(testDb(), merchant.id, memberId);
  return `${memberCookieName(merchant.slug)}=${token}`;
}
