import { beforeAll, describe, expect, it } from "vitest";
import { withTenant } from "~/db.server";
import { allCltvSettingsSchema } from "~/domain/cltv/all-settings.server";
import { reportEconomics } from "~/domain/incrementality/report.server";
import { api, createKey, createMerchant } from "../../support/api";
import { testDb } from "../../support/db";

/**
 * GET/PATCH /api/v1/settings/cltv (issue 16 §1: the points cost basis is a CLTV setting, now over the API too): every
 * field of the domain's schema is served in snake_case, a PATCH changes only what it names and is audited per group
 * with the key as actor, the report reads the new basis, bad input is a 4xx with the error shape, another merchant's
 * settings never move.
 */

let A: { id: string; slug: string };
let B: { id: string; slug: string };
const keys = { read: "", write: "", readOnly: "", bWrite: "" };

beforeAll(async () => {
  A = await createMerchant("cltvset");
  B = await createMerchant("cltvset");
  keys.read = (await createKey(A.id, ["reports:read"])).token;
  keys.write = (await createKey(A.id, ["settings:write", "reports:read"])).token;
  keys.readOnly = (await createKey(A.id, ["reports:read", "members:write"])).token;
  keys.bWrite = (await createKey(B.id, ["settings:write", "reports:read"])).token;
});

const audits = (merchantId: string) =>
  withTenant(testDb(), merchantId, (trx) =>
    trx
      .selectFrom("audit_log")
      .select(["action", "actor_type", "actor_id", "before", "after"])
      .where("merchant_id", "=", merchantId)
      .where("action", "like", "cltv.%")
      .orderBy("created_at")
      .execute(),
  );

describe("GET /api/v1/settings/cltv", () => {
  it("serves every field of the domain's schema in snake_case, with the defaults before anything is set", async () => {
    const res = await api("GET", "/api/v1/settings/cltv", { token: keys.read });
    expect(res.status).toBe(200);
    const expected = Object.keys(allCltvSettingsSchema.shape).map((k) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));
    expect(Object.keys(res.json).sort()).toEqual(expected.sort());
    expect(res.json).toMatchObject({
      gross_margin_bps: 4000,
      annual_discount_rate_bps: 1000,
      points_cost_basis: "point_value",
      penalizer: 0,
      discrete_period_days: null,
    });
  });

  it("needs a key (401) and answers other methods with 405", async () => {
    expect((await api("GET", "/api/v1/settings/cltv")).json.error.code).toBe("unauthenticated");
    const post = await api("POST", "/api/v1/settings/cltv", {
      token: keys.write,
      body: { penalizer: 1 },
    });
    expect(post.status).toBe(405);
  });
});

describe("PATCH /api/v1/settings/cltv", () => {
  it("changes the points cost basis alone: audited once with the key as actor, read by the report, the rest kept", async () => {
    const res = await api("PATCH", "/api/v1/settings/cltv", {
      token: keys.write,
      body: { points_cost_basis: "reward_cost" },
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      points_cost_basis: "reward_cost",
      gross_margin_bps: 4000,
    });
    expect((await api("GET", "/api/v1/settings/cltv", { token: keys.read })).json.points_cost_basis).toBe("reward_cost");
    const econ = await withTenant(testDb(), A.id, (trx) => reportEconomics(trx, A.id));
    expect(econ.pointsCostBasis).toBe("reward_cost");
    const log = await audits(A.id);
    expect(log.map((l) => l.action)).toEqual(["cltv.points_cost_basis_updated"]);
    expect(log[0]).toMatchObject({
      actor_type: "api_key",
      before: { pointsCostBasis: "point_value" },
      after: { pointsCostBasis: "reward_cost" },
    });
  });

  it("changes economics and model fitting together, one audit entry per group, the basis kept", async () => {
    const res = await api("PATCH", "/api/v1/settings/cltv", {
      token: keys.write,
      body: { gross_margin_bps: 6000, penalizer: 0.01 },
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      gross_margin_bps: 6000,
      penalizer: 0.01,
      points_cost_basis: "reward_cost",
      acquisition_cost_minor: 0,
    });
    // One transaction: the two entries share a timestamp, so compare as a set.
    expect((await audits(A.id)).map((l) => l.action).sort()).toEqual(["cltv.model_settings_updated", "cltv.points_cost_basis_updated", "cltv.settings_updated"]);
    // The same values again change nothing and record nothing.
    await api("PATCH", "/api/v1/settings/cltv", {
      token: keys.write,
      body: { gross_margin_bps: 6000 },
    });
    expect(await audits(A.id)).toHaveLength(3);
  });

  it.each([
    [{ points_cost_basis: "free" }, "points_cost_basis"],
    [{ gross_margin_bps: 10_001 }, "gross_margin_bps"],
    [{ discrete_period_days: 0 }, "discrete_period_days"],
    [{ pointsCostBasis: "reward_cost" }, "pointsCostBasis"],
  ])("refuses %j with 422 naming the field, and writes nothing", async (body, field) => {
    const before = await audits(A.id);
    const res = await api("PATCH", "/api/v1/settings/cltv", {
      token: keys.write,
      body,
    });
    expect(res.status).toBe(422);
    expect(res.json.error).toMatchObject({
      code: "validation_failed",
      field,
    });
    expect(await audits(A.id)).toHaveLength(before.length);
  });

  it("refuses an empty change (422), a body that is not JSON (400) and a key without settings:write (403)", async () => {
    expect(
      (
        await api("PATCH", "/api/v1/settings/cltv", {
          token: keys.write,
          body: {},
        })
      ).status,
    ).toBe(422);
    expect(
      (
        await api("PATCH", "/api/v1/settings/cltv", {
          token: keys.write,
          rawBody: "{",
        })
      ).status,
    ).toBe(400);
    const res = await api("PATCH", "/api/v1/settings/cltv", {
      token: keys.readOnly,
      body: { penalizer: 1 },
    });
    expect(res.status).toBe(403);
    expect(res.json.error.code).toBe("insufficient_scope");
  });

  it("another merchant's key changes only its own settings", async () => {
    const res = await api("PATCH", "/api/v1/settings/cltv", {
      token: keys.bWrite,
      body: { gross_margin_bps: 1234 },
    });
    expect(res.json.gross_margin_bps).toBe(1234);
    expect((await api("GET", "/api/v1/settings/cltv", { token: keys.read })).json.gross_margin_bps).toBe(6000);
    expect((await audits(A.id)).every((l) => l.actor_type === "api_key")).toBe(true);
  });
});
