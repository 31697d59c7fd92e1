import { describe, expect, it } from "vitest";
import { ADJUSTMENT_POLICY, type AdjustmentChannel } from "~/domain/flows/adjustments.server";
import { adjustPoints } from "~/domain/points/ledger.server";
import * as memberPage from "~/routes/admin.$merchant.members.$memberId";
import { newId } from "~/lib/ids";
import { createStaff, postRequest } from "../../support/admin";
import { api, createKey, snapshotCounts } from "../../support/api";
import { run } from "../../support/auth";
import { testDb } from "../../support/db";
import { ledgerFixture, SYSTEM, type LedgerFixture } from "../../support/ledger";

/**
 * "Staff or an integration corrects a member's points" (app/domain/flows/adjustments.server.ts) through both channels,
 * checked against ADJUSTMENT_POLICY: a deleted member's points no longer move (409 conflict), an unknown member is a 404.
 * The admin page's other refusals (bad input, analysts, another merchant's member) are in
 * tests/integration/web/points-screens.test.ts.
 */

interface Shop extends LedgerFixture {
  slug: string;
  token: string;
  adminCookie: string;
}

async function shop(): Promise<Shop> {
  const f = await ledgerFixture();
  const { slug } = await testDb().selectFrom("merchants").select("slug").where("id", "=", f.merchantId).executeTakeFirstOrThrow();
  const { token } = await createKey(f.merchantId, ["points:read", "points:write"]);
  const admin = await createStaff(f.merchantId, "admin");
  return { ...f, slug, token, adminCookie: admin.cookie };
}

/** A member with 40 available points, then deleted. */
async function deletedMember(s: Shop): Promise<string> {
  const member = await s.newMember();
  await s.tx((trx) => adjustPoints(trx, s.merchantId, { memberId: member, points: 40, reason: "opening balance", idempotencyKey: crypto.randomUUID(), actor: SYSTEM }));
  await s.tx((trx) => trx.updateTable("members").set({ status: "deleted" }).where("merchant_id", "=", s.merchantId).where("id", "=", member).execute());
  return member;
}

interface Answer {
  status: number;
  code: string | null;
  field: string | null;
}

/** Each channel's entry point, called the way its client calls it. */
const ADJUST: Record<AdjustmentChannel, (s: Shop, memberId: string, points: number) => Promise<Answer>> = {
  async api(s, memberId, points) {
    const r = await api("POST", `/api/v1/members/${memberId}/points/adjust`, { token: s.token, idempotencyKey: crypto.randomUUID(), body: { points, reason: "Goodwill" } });
    return { status: r.status, code: r.json?.error?.code ?? null, field: r.json?.error?.field ?? null };
  },
  async admin(s, memberId, points) {
    const form = { intent: "adjust", key: crypto.randomUUID(), points: String(points), reason: "Goodwill" };
    const out = await run(() =>
      memberPage.action({ request: postRequest(`/admin/${s.slug}/members/${memberId}`, s.adminCookie, form), params: { merchant: s.slug, memberId }, context: {} }),
    );
    // The page shows a refusal as a form-level error; an unknown member is its 404 page.
    const formError = out.data?.result?.error?.[""]?.[0] ?? null;
    return { status: out.status, code: formError, field: null };
  },
};

describe("ADJUSTMENT_POLICY", () => {
  it("lists the channels tested here", () => {
    expect(Object.keys(ADJUSTMENT_POLICY).sort()).toEqual(Object.keys(ADJUST).sort());
  });

  it.each(Object.keys(ADJUST) as AdjustmentChannel[])("%s: a deleted member's points are refused as refuseDeletedMember says, nothing written", async (channel) => {
    const s = await shop();
    const member = await deletedMember(s);
    const before = await snapshotCounts(s.merchantId);
    const balance = await s.balance(member);
    for (const points of [10, -10]) {
      const got = await ADJUST[channel](s, member, points);
      expect(ADJUSTMENT_POLICY[channel].refuseDeletedMember).toBe(true);
      expect(got.status, JSON.stringify(got)).toBe(409);
      if (channel === "api") expect(got).toMatchObject({ code: "conflict" });
      else expect(got.code).toMatch(/has been deleted/);
    }
    expect(await snapshotCounts(s.merchantId)).toEqual(before);
    expect(await s.balance(member)).toEqual(balance);
  });

  it.each(Object.keys(ADJUST) as AdjustmentChannel[])("%s: an unknown member is a 404, nothing written", async (channel) => {
    const s = await shop();
    const before = await snapshotCounts(s.merchantId);
    const got = await ADJUST[channel](s, newId("member"), 10);
    expect(got.status).toBe(404);
    if (channel === "api") expect(got).toMatchObject({ code: "not_found", field: "id" });
    expect(await snapshotCounts(s.merchantId)).toEqual(before);
  });

  it("an active member is adjusted through both channels (the refusals above are about the deletion)", async () => {
    const s = await shop();
    const member = await s.newMember();
    expect((await ADJUST.api(s, member, 10)).status).toBe(201);
    expect((await ADJUST.admin(s, member, 5)).status).toBe(200);
    expect(await s.balance(member)).toMatchObject({ available: 15 });
  });
});
