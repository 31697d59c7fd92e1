import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { withTenant } from "~/db.server";
import { segmentMemberIds } from "~/domain/segments/compile.server";
import { parseRuleJson, RuleSchema, type Rule } from "~/domain/segments/rule";
import { countSegment, setMemberTags } from "~/domain/segments/segments.server";
import { loader as countLoader } from "~/routes/admin.$merchant.segments.count";
import { action as tagsAction } from "~/routes/admin.$merchant.segments.member-tags.$memberId";
import { api, createKey } from "../../support/api";
import { createMerchant, createStaff, getRequest, insertMembers, postRequest } from "../../support/admin";
import { testDb } from "../../support/db";
import { STAFF } from "../../support/offers";

/**
 * The segment compiler never puts a value into SQL text: every value is a bind parameter, attribute and operator
 * names are closed lists checked by the schema, and hostile strings are matched literally (or refused).
 */

const HOSTILE = ["x'; drop table members; --", "' or '1'='1", "$$; select pg_sleep(5); $$", "\\'; --"];

describe("segment SQL compilation", () => {
  it("compiles every value to a bind parameter", () => {
    const rule: Rule = {
      type: "group",
      op: "any",
      conditions: [
        { type: "condition", attribute: "order_count", operator: "gte", value: 987654 },
        { type: "condition", attribute: "tier", operator: "in", value: HOSTILE },
        { type: "condition", attribute: "tags", operator: "has_all", value: ["vip", "zz-unique-tag"] },
        { type: "group", op: "all", conditions: [{ type: "condition", attribute: "birthday_month", operator: "in", value: [11] }] },
      ],
    };
    const compiled = segmentMemberIds("mch_test", rule, new Date("2026-01-01T00:00:00Z")).compile(testDb());
    for (const v of ["987654", "zz-unique-tag", "mch_test", "drop table", "pg_sleep", "'1'='1"]) expect(compiled.sql).not.toContain(v);
    expect(compiled.parameters).toEqual(expect.arrayContaining([987654, HOSTILE, "mch_test"]));
  });

  it("refuses unknown attributes, operators and malformed values before any SQL exists", () => {
    const bad = [
      { type: "group", op: "all", conditions: [{ type: "condition", attribute: "email; drop table members", operator: "gte", value: 1 }] },
      { type: "group", op: "all", conditions: [{ type: "condition", attribute: "order_count", operator: ">= 0 or true --", value: 1 }] },
      { type: "group", op: "all", conditions: [{ type: "condition", attribute: "order_count", operator: "gte", value: "1 or 1=1" }] },
      { type: "group", op: "all", conditions: [{ type: "condition", attribute: "order_count", operator: "gte", value: 1.5 }] },
      { type: "group", op: "all", conditions: [{ type: "condition", attribute: "tags", operator: "has_any", value: ["Robert'); DROP TABLE"] }] },
      { type: "group", op: "or; drop", conditions: [] },
      { type: "group", op: "all", conditions: [{ type: "group", op: "all", conditions: [{ type: "group", op: "all", conditions: [{ type: "group", op: "all", conditions: [{ type: "group", op: "all", conditions: [] }] }] }] }] },
    ];
    for (const r of bad) expect(RuleSchema.safeParse(r).success, JSON.stringify(r)).toBe(false);
    expect(parseRuleJson("{not json").ok).toBe(false);
    expect(parseRuleJson("x".repeat(30_000)).ok).toBe(false);
  });

  it("matches hostile strings literally against real data, and the members table survives", async () => {
    const m = await createMerchant();
    const [a, b] = await insertMembers(m.id, [{ email: `a-${m.id}@example.com` }, { email: `b-${m.id}@example.com` }]);
    await withTenant(testDb(), m.id, async (trx) => {
      await trx.insertInto("member_tiers").values({ merchant_id: m.id, member_id: a!, tier_id: HOSTILE[0]! }).execute();
      await setMemberTags(trx, m.id, b!, ["vip"], STAFF);
    });
    const at = new Date();
    const ids = async (rule: Rule) =>
      withTenant(testDb(), m.id, async (trx) => (await sql<{ id: string }>`${segmentMemberIds(m.id, rule, at)}`.execute(trx)).rows.map((r) => r.id));
    expect(await ids({ type: "group", op: "all", conditions: [{ type: "condition", attribute: "tier", operator: "in", value: [HOSTILE[0]!] }] })).toEqual([a]);
    expect(await ids({ type: "group", op: "all", conditions: [{ type: "condition", attribute: "tier", operator: "in", value: [HOSTILE[1]!] }] })).toEqual([]);
    expect(await withTenant(testDb(), m.id, (trx) => countSegment(trx, m.id, { type: "group", op: "all", conditions: [] }, at))).toBe(2);
  });
});

describe("segment endpoints", () => {
  it("the builder's count route answers count and preview, and 400 for a bad rule", async () => {
    const m = await createMerchant();
    const analyst = await createStaff(m.id, "analyst");
    await insertMembers(m.id, [{ email: `x-${m.id}@example.com`, name: "Xavier" }, { email: `y-${m.id}@example.com`, name: "Yara", status: "blocked" }]);
    const rule = encodeURIComponent(JSON.stringify({ type: "group", op: "all", conditions: [] }));
    const ok = await countLoader({ request: getRequest(`/admin/${m.slug}/segments/count?rule=${rule}`, analyst.cookie), params: { merchant: m.slug }, context: {} });
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as { count: number; members: Array<{ name: string }> };
    expect(body.count).toBe(1);
    expect(body.members.map((x) => x.name)).toEqual(["Xavier"]);
    const bad = await countLoader({ request: getRequest(`/admin/${m.slug}/segments/count?rule=%7B`, analyst.cookie), params: { merchant: m.slug }, context: {} });
    expect(bad.status).toBe(400);
  });

  it("staff edit a member's tags (validated, audited) and GET /api/v1/segments lists segments with counts", async () => {
    const m = await createMerchant();
    const admin = await createStaff(m.id, "admin");
    const [member] = await insertMembers(m.id, [{ email: `t-${m.id}@example.com` }]);
    const post = (tags: string) => tagsAction({ request: postRequest(`/admin/${m.slug}/segments/member-tags/${member}`, admin.cookie, { tags }), params: { merchant: m.slug, memberId: member }, context: {} });
    expect(await post("VIP, wholesale  vip")).toEqual({ tags: ["vip", "wholesale"] });
    const refused = await post("not a tag!");
    expect(refused).toMatchObject({ init: { status: 400 } });
    const audits = await withTenant(testDb(), m.id, (trx) => trx.selectFrom("audit_log").select("action").where("action", "=", "member.tags_changed").execute());
    expect(audits).toHaveLength(1);

    const { createSegment } = await import("~/domain/segments/segments.server");
    await withTenant(testDb(), m.id, (trx) =>
      createSegment(trx, m.id, { name: "Wholesale", description: null, rule: { type: "group", op: "all", conditions: [{ type: "condition", attribute: "tags", operator: "has_any", value: ["wholesale"] }] } }, STAFF),
    );
    const { token } = await createKey(m.id, ["offers:read"]);
    const res = await api("GET", "/api/v1/segments", { token });
    expect(res.status).toBe(200);
    expect(res.json.data).toEqual([expect.objectContaining({ name: "Wholesale", member_count: 1 })]);
    const { token: noScope } = await createKey(m.id, ["members:read"]);
    expect((await api("GET", "/api/v1/segments", { token: noScope })).status).toBe(403);
  });
});
