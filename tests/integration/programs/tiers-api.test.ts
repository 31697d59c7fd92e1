import { describe, expect, it } from "vitest";
import { saveTierProgram } from "~/domain/tiers/definitions.server";
import { api, createKey } from "../../support/api";
import { ledgerFixture } from "../../support/ledger";

/** GET /api/v1/members/{id}/tier: an upgrade from an order posted through the API shows at once; scope and tenancy. */

const STAFF = { type: "staff" as const, id: "stf_test" };

async function fixture() {
  const f = await ledgerFixture({ bonuses: { signup: 0, firstOrder: 0, birthday: 0, profileCompleted: 0 } });
  await f.tx((trx) =>
    saveTierProgram(
      trx,
      f.merchantId,
      {
        settings: { basis: "spend", window: "calendar_year", graceDays: 0, downgrade: "one_step" },
        tiers: [
          { id: null, name: "Bean", threshold: 1_000, earningPercent: 100, exclusiveAccess: false, birthdayBonus: 0, perks: "" },
          { id: null, name: "Roast", threshold: 5_000, earningPercent: 150, exclusiveAccess: true, birthdayBonus: 0, perks: "Free oat milk\nEarly access" },
        ],
      },
      STAFF,
      new Date(),
    ),
  );
  const { token } = await createKey(f.merchantId, ["orders:write", "points:read"]);
  return { ...f, token };
}

describe("GET /api/v1/members/{id}/tier", () => {
  it("shows an upgrade the moment the order is recorded, with benefits and progress", async () => {
    const f = await fixture();
    const order = await api("POST", "/api/v1/orders", {
      token: f.token,
      idempotencyKey: crypto.randomUUID(),
      body: { order_id: "o-1", member: { email: "tier-api@example.com" }, amount_minor: 5_000, currency: "USD", occurred_at: new Date(Date.now() - 60_000).toISOString() },
    });
    expect(order.status).toBe(201);
    const memberId = order.json.member_id as string;
    const r = await api("GET", `/api/v1/members/${memberId}/tier`, { token: f.token });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      member_id: memberId,
      held_out: false,
      basis: "spend",
      window: "calendar_year",
      qualifying_figure: 5_000,
      tier: { name: "Roast", rank: 2, earning_percent: 150, exclusive_access: true, perks: ["Free oat milk", "Early access"] },
      next_tier: null,
      downgrade: null,
      pinned_until: null,
    });
    // The next order earns with the tier's multiplier: 10 points × 150%.
    const next = await api("POST", "/api/v1/orders", {
      token: f.token,
      idempotencyKey: crypto.randomUUID(),
      body: { order_id: "o-2", member: { id: memberId }, amount_minor: 1_000, currency: "USD", occurred_at: new Date().toISOString() },
    });
    expect(next.json.points_earned).toBe(15);
  });

  it("needs points:read, and never shows another merchant's member", async () => {
    const a = await fixture();
    const b = await fixture();
    const member = await a.newMember();
    const { token: noScope } = await createKey(a.merchantId, ["orders:write"]);
    expect((await api("GET", `/api/v1/members/${member}/tier`, { token: noScope })).status).toBe(403);
    expect((await api("GET", `/api/v1/members/${member}/tier`, { token: b.token })).status).toBe(404);
    const own = await api("GET", `/api/v1/members/${member}/tier`, { token: a.token });
    expect(own.json).toMatchObject({ tier: null, next_tier: { name: "Bean", missing: 1_000 } });
  });
});
