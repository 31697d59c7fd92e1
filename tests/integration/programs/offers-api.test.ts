import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withTenant } from "~/db.server";
import { offerEarningPercent } from "~/domain/offers/multiplier.server";
import { api, startRouteServer } from "../../support/api";
import { getRequest, postRequest, thrownResponse } from "../../support/admin";
import { testDb } from "../../support/db";
import { eventsOf, memberCookie, offersFixture } from "../../support/offers";
import { loader as portalOfferLoader, action as portalOfferAction } from "~/routes/p.$merchant.offers.$offerId";
import { loader as portalOffersLoader } from "~/routes/p.$merchant.offers._index";

/**
 * Offers through the API and the portal: only eligible, treated members see an offer (ineligible and held-out
 * members get 404 and an empty list), claims are one per member and never oversell stock under parallel clients
 * on real sockets, and a claimed multiplier is what offerEarningPercent returns.
 */

let server: Awaited<ReturnType<typeof startRouteServer>>;
beforeAll(async () => {
  server = await startRouteServer();
});
afterAll(async () => {
  await server?.close();
});

const list = (token: string, memberId: string) => api("GET", `/api/v1/members/${memberId}/offers`, { token });
const claim = (token: string, memberId: string, offerId: string) =>
  api("POST", `/api/v1/members/${memberId}/offers/${offerId}/claim`, { token, body: {}, idempotencyKey: crypto.randomUUID() });

async function httpClaim(token: string, memberId: string, offerId: string) {
  const res = await fetch(`${server.baseUrl}/api/v1/members/${memberId}/offers/${offerId}/claim`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", "Idempotency-Key": crypto.randomUUID() },
    body: "{}",
  });
  return { status: res.status, json: (await res.json()) as { error?: { code: string } } };
}

describe("offer visibility", () => {
  it("ineligible and held-out members neither see nor claim the offer (API and portal); treated members do", async () => {
    const f = await offersFixture({ members: 40, tagged: 30, holdoutPercent: 50 });
    expect(f.treated.length).toBeGreaterThan(0);
    expect(f.control.length).toBeGreaterThan(0);
    expect(f.treated.length + f.control.length).toBe(30);
    const outsider = f.outsiders[0]!;
    const held = f.control[0]!;
    const treated = f.treated[0]!;

    for (const memberId of [outsider, held]) {
      const l = await list(f.token, memberId);
      expect(l.status).toBe(200);
      expect(l.json.data).toEqual([]);
      const c = await claim(f.token, memberId, f.offer.id);
      expect(c.status, c.text).toBe(404);
      expect(c.json.error.code).toBe("not_found");
      // Portal: the detail page and the claim are 404 as for an unknown id; the list is empty.
      const cookie = await memberCookie(f.merchant, memberId);
      const path = `/p/${f.merchant.slug}/offers/${f.offer.id}`;
      const page = await thrownResponse(() => portalOfferLoader({ request: getRequest(path, cookie), params: { merchant: f.merchant.slug, offerId: f.offer.id }, context: {} }));
      expect(page.status).toBe(404);
      const post = await thrownResponse(() => portalOfferAction({ request: postRequest(path, cookie, {}), params: { merchant: f.merchant.slug, offerId: f.offer.id }, context: {} }));
      expect(post.status).toBe(404);
      const listed = await portalOffersLoader({ request: getRequest(`/p/${f.merchant.slug}/offers`, cookie), params: { merchant: f.merchant.slug }, context: {} });
      expect(listed.offers).toEqual([]);
    }
    // Held-out and outside members were never exposed or claimed anything.
    expect(await eventsOf(f.merchant.id, f.offer.experimentId, [outsider, ...f.control], ["seen", "emailed", "claimed"])).toEqual([]);
    await withTenant(testDb(), f.merchant.id, async (trx) => expect(await offerEarningPercent(trx, f.merchant.id, held, new Date())).toBe(100));

    const l = await list(f.token, treated);
    expect(l.json.data.map((o: { id: string }) => o.id)).toEqual([f.offer.id]);
    expect(l.json.data[0]).toMatchObject({ kind: "multiplier", multiplier_percent: 200, claimed_at: null, sold_out: false });
    const c = await claim(f.token, treated, f.offer.id);
    expect(c.status, c.text).toBe(201);
    expect(c.json).toMatchObject({ offer_id: f.offer.id, member_id: treated, kind: "multiplier", multiplier_percent: 200 });
    const again = await claim(f.token, treated, f.offer.id);
    expect(again.status).toBe(409);
    expect(again.json.error.code).toBe("already_claimed");
    const kinds = (await eventsOf(f.merchant.id, f.offer.experimentId, [treated], ["eligible", "seen", "claimed"])).map((e) => e.kind).sort();
    expect(kinds).toEqual(["claimed", "eligible", "seen"]);
  });

  it("another merchant's key gets 404 for the member and the offer", async () => {
    const f = await offersFixture({ members: 3, tagged: 3, holdoutPercent: 0 });
    const other = await offersFixture({ members: 1, tagged: 1, holdoutPercent: 0 });
    expect((await list(other.token, f.treated[0]!)).status).toBe(404);
    expect((await claim(other.token, f.treated[0]!, f.offer.id)).status).toBe(404);
    expect((await claim(other.token, other.treated[0]!, f.offer.id)).status).toBe(404);
  });
});

describe("claim concurrency", () => {
  it("30 members racing for 5 units: exactly 5 claims, the rest out_of_stock", async () => {
    const f = await offersFixture({ members: 30, tagged: 30, holdoutPercent: 0, offer: { stockTotal: 5 } });
    const results = await Promise.all(f.treated.map((m) => httpClaim(f.token, m, f.offer.id)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(5);
    const refused = results.filter((r) => r.status !== 201);
    expect(refused.every((r) => r.status === 409 && r.json.error?.code === "out_of_stock")).toBe(true);
    const { claims, claimed } = await withTenant(testDb(), f.merchant.id, async (trx) => ({
      claims: (await trx.selectFrom("offer_claims").select("member_id").where("offer_id", "=", f.offer.id).execute()).length,
      claimed: (await trx.selectFrom("offers").select("claimed_count").where("id", "=", f.offer.id).executeTakeFirstOrThrow()).claimed_count,
    }));
    expect(claims).toBe(5);
    expect(claimed).toBe(5);
  });

  it("one member with 20 parallel claims (different Idempotency-Keys) gets exactly one", async () => {
    const f = await offersFixture({ members: 1, tagged: 1, holdoutPercent: 0 });
    const member = f.treated[0]!;
    const results = await Promise.all(Array.from({ length: 20 }, () => httpClaim(f.token, member, f.offer.id)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409 && r.json.error?.code === "already_claimed")).toHaveLength(19);
  });
});

describe("points multiplier offers", () => {
  it("apply from the claim for the offer's days, the largest when several run", async () => {
    const f = await offersFixture({ members: 1, tagged: 1, holdoutPercent: 0 });
    const member = f.treated[0]!;
    const before = new Date();
    await withTenant(testDb(), f.merchant.id, async (trx) => expect(await offerEarningPercent(trx, f.merchant.id, member, before)).toBe(100));
    expect((await claim(f.token, member, f.offer.id)).status).toBe(201);
    await withTenant(testDb(), f.merchant.id, async (trx) => {
      expect(await offerEarningPercent(trx, f.merchant.id, member, new Date(Date.now() + 1000))).toBe(200);
      expect(await offerEarningPercent(trx, f.merchant.id, member, new Date(Date.now() + 8 * 86_400_000))).toBe(100);
    });
  });
});
