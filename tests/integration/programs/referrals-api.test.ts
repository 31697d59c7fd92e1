import { describe, expect, it } from "vitest";
import { getOrCreateCode } from "~/domain/referrals/codes.server";
import { saveReferralSettings } from "~/domain/referrals/program.server";
import { DEFAULT_REFERRAL_SETTINGS } from "~/domain/referrals/settings";
import { api, createKey, type ApiResult } from "../../support/api";
import { ledgerFixture, SYSTEM } from "../../support/ledger";

/**
 * The referrals REST API: a member's code and stats, attribution (POST /members with referral_code and
 * POST /referrals/attributions), a member's referrals and network value, the review queue — plus scopes, errors
 * naming their field, and other merchants' ids.
 */

const uuid = () => crypto.randomUUID();

async function setup() {
  const f = await ledgerFixture({ bonuses: { signup: 0, firstOrder: 0, birthday: 0, profileCompleted: 0 } });
  await f.tx((trx) => saveReferralSettings(trx, f.merchantId, { ...DEFAULT_REFERRAL_SETTINGS, enabled: true, holdDays: 14, velocityPerHour: 1 }, SYSTEM));
  const { token } = await createKey(f.merchantId, ["members:read", "members:write", "orders:write", "referrals:read", "referrals:write"]);
  const { token: readOnly } = await createKey(f.merchantId, ["referrals:read"]);
  const post = (path: string, body: unknown, key: string | null = uuid(), t = token): Promise<ApiResult> =>
    api("POST", path, { token: t, body, ...(key === null ? {} : { idempotencyKey: key }) });
  const get = (path: string, t = token) => api("GET", path, { token: t });
  return { ...f, token, readOnly, post, get };
}

describe("referrals API", () => {
  it("code, attribution by API and sign-up, qualification by order, referrals list and network value", async () => {
    const f = await setup();
    const referrer = await f.post("/api/v1/members", { email: "ada@example.com", name: "Ada", external_id: "cus_ada" });
    expect(referrer.status, referrer.text).toBe(201);
    const ada = referrer.json.id as string;

    const info = await f.get(`/api/v1/members/${ada}/referral`);
    expect(info.status, info.text).toBe(200);
    expect(info.json).toMatchObject({ member_id: ada, code: expect.stringMatching(/^[A-Z0-9]{7}$/), referred_by: null, referral_count: 0 });
    expect(info.json.link).toMatch(new RegExp(`/r/${info.json.code}$`));
    const code = info.json.code as string;

    // A new member through POST /members with the code.
    const grace = await f.post("/api/v1/members", { email: "grace@example.com", name: "Grace", referral_code: code.toLowerCase() });
    expect(grace.status, grace.text).toBe(201);
    // An existing member through /referrals/attributions, by external id.
    await f.post("/api/v1/members", { email: "linus@example.com", external_id: "cus_linus" });
    const key = uuid();
    const attr = await f.post("/api/v1/referrals/attributions", { member: { external_id: "cus_linus" }, code }, key);
    expect(attr.status, attr.text).toBe(201);
    // velocityPerHour = 1: the second sign-up within the hour is flagged for review.
    expect(attr.json).toMatchObject({ referrer_id: ada, status: "flagged", reasons: ["velocity"], created: true });
    const replay = await f.post("/api/v1/referrals/attributions", { member: { external_id: "cus_linus" }, code }, key);
    expect(replay.json).toEqual(attr.json);
    const again = await f.post("/api/v1/referrals/attributions", { member: { email: "linus@example.com" }, code });
    expect(again.status).toBe(200);
    expect(again.json.created).toBe(false);

    const order = await f.post("/api/v1/orders", { order_id: "o-1", member: { id: grace.json.id }, amount_minor: 5000, currency: "USD", occurred_at: new Date().toISOString() });
    expect(order.status, order.text).toBe(201);

    const list = await f.get(`/api/v1/members/${ada}/referrals`, f.readOnly);
    expect(list.status, list.text).toBe(200);
    expect(list.json.data.map((r: { member_id: string; status: string; referrer_points: number }) => [r.member_id, r.status, r.referrer_points])).toEqual([
      [attr.json.member_id, "flagged", 0],
      [grace.json.id, "qualified", 500],
    ]);
    expect(list.json.network).toEqual({
      own: { revenue_minor: 0, predicted_minor: null, value_minor: 0 },
      levels: [{ level: 1, count: 2, revenue_minor: 5000, predicted_minor: null, value_minor: 5000 }],
      size: 2,
      total_minor: 5000,
    });
    expect((await f.get(`/api/v1/members/${ada}/referral`)).json).toMatchObject({ referral_count: 2, qualified_count: 1, points_earned: 500 });

    // Review queue: list, decide, decided twice → 409.
    const reviews = await f.get("/api/v1/referrals/reviews?status=open", f.readOnly);
    expect(reviews.status).toBe(200);
    expect(reviews.json.data).toHaveLength(1);
    const id = reviews.json.data[0].id as string;
    const forbidden = await f.post(`/api/v1/referrals/reviews/${id}/decision`, { decision: "approve" }, uuid(), f.readOnly);
    expect(forbidden.status).toBe(403);
    const decided = await f.post(`/api/v1/referrals/reviews/${id}/decision`, { decision: "approve", note: "known customer" });
    expect(decided.status, decided.text).toBe(200);
    expect(decided.json).toMatchObject({ id, status: "decided", decision: "approve", referral_status: "pending", note: "known customer" });
    const twice = await f.post(`/api/v1/referrals/reviews/${id}/decision`, { decision: "reject" });
    expect(twice.status).toBe(409);
  });

  it("errors name their field and write nothing", async () => {
    const f = await setup();
    const a = await f.post("/api/v1/members", { email: "a@example.com" });
    const aCode = await f.tx(async (trx) => (await getOrCreateCode(trx, f.merchantId, a.json.id)).code);
    const cases: Array<[unknown, number, string, string | undefined]> = [
      [{ member: { id: a.json.id }, code: aCode }, 422, "self_referral", "code"],
      [{ member: { id: a.json.id }, code: "ZZZZ2222" }, 404, "not_found", "code"],
      [{ member: { id: a.json.id }, code: "no!" }, 422, "validation_failed", "code"],
      [{ member: { id: a.json.id }, code: "x".repeat(5000) }, 422, "validation_failed", "code"],
      [{ member: {}, code: aCode }, 422, "validation_failed", "member"],
      [{ member: { email: "nobody@example.com" }, code: aCode }, 404, "not_found", "member.email"],
      [{ member: { id: "mbr_aaaaaaaaaaaaaaaaaaaaaaaaaa" }, code: aCode }, 404, "not_found", "member.id"],
      [{ member: { id: a.json.id }, code: aCode, extra: 1 }, 422, "validation_failed", "extra"],
    ];
    for (const [body, status, code, field] of cases) {
      const r = await f.post("/api/v1/referrals/attributions", body);
      expect([r.status, r.json.error.code, r.json.error.field], JSON.stringify(body)).toEqual([status, code, field]);
    }
    expect((await f.post("/api/v1/referrals/attributions", { member: { id: a.json.id }, code: aCode }, null)).status).toBe(400);
    const bad = await f.post("/api/v1/members", { email: "b@example.com", referral_code: "ZZZZ2222" });
    expect([bad.status, bad.json.error.field]).toEqual([404, "referral_code"]);
    const b = await f.tx((trx) => trx.selectFrom("members").select("id").where("merchant_id", "=", f.merchantId).where("email", "=", "b@example.com").execute());
    expect(b).toEqual([]);
    expect((await f.get("/api/v1/referrals/reviews?status=bogus")).status).toBe(422);
    expect((await f.get(`/api/v1/members/${a.json.id}/referrals?limit=0`)).status).toBe(422);
    expect((await f.post("/api/v1/referrals/reviews/rrv_aaaaaaaaaaaaaaaaaaaaaaaaaa/decision", { decision: "approve" })).status).toBe(404);
    expect((await f.post("/api/v1/referrals/reviews/rrv_aaaaaaaaaaaaaaaaaaaaaaaaaa/decision", { decision: "maybe" })).json.error.field).toBe("decision");
    const rows = await f.tx((trx) => trx.selectFrom("referrals").select("id").where("merchant_id", "=", f.merchantId).execute());
    expect(rows).toEqual([]);
  });
});
