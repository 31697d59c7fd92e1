import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { withTenant } from "~/db.server";
import { segmentMemberIds } from "~/domain/segments/compile.server";
import { RuleSchema, memberMatches, type Condition, type Group, type MemberFacts } from "~/domain/segments/rule";
import { countSegment, memberInSegment } from "~/domain/segments/segments.server";
import { newId } from "~/lib/ids";
import { createMerchant } from "../../support/admin";
import { testDb } from "../../support/db";
import { sql } from "kysely";

/**
 * The segment compiler against a brute-force evaluation of the same rule (rule.ts memberMatches): random members
 * with random attributes, random rules (nested all/any groups over every attribute), and the set of member ids
 * the one SQL query returns must equal the members the JavaScript evaluator accepts.
 */

const AT = new Date("2026-06-15T12:00:00.000Z");
const DAY = 86_400_000;
const TIERS = ["tier_a", "tier_b", "tier_c"];
const TAGS = ["vip", "wholesale", "staff", "beta"];

const maybe = <T,>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null, freq: 4 });
const daysAgo = fc.tuple(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 23 })).map(([d, h]) => new Date(AT.getTime() - d * DAY - h * 3_600_000));

const memberArb: fc.Arbitrary<MemberFacts> = fc.record({
  status: fc.constantFrom("active", "active", "active", "blocked", "deleted"),
  createdAt: daysAgo,
  birthday: maybe(fc.integer({ min: 1, max: 12 }).map((m) => `1990-${String(m).padStart(2, "0")}-15`)),
  tierId: maybe(fc.constantFrom(...TIERS)),
  pointsBalance: fc.integer({ min: 0, max: 10 }).map((n) => n * 50),
  lifetimeSpendMinor: fc.integer({ min: -2, max: 10 }).map((n) => n * 1000),
  orderCount: fc.integer({ min: 0, max: 6 }),
  lastOrderAt: maybe(daysAgo),
  referralCount: fc.integer({ min: 0, max: 4 }),
  tags: fc.uniqueArray(fc.constantFrom(...TAGS), { maxLength: 3 }),
  cltvPercentile: maybe(fc.integer({ min: 0, max: 20 }).map((n) => n * 5)),
  pAlive: maybe(fc.constantFrom(0, 0.25, 0.5, 0.75, 1)),
  atRisk: maybe(fc.boolean()),
  valueSegment: maybe(fc.constantFrom("top" as const, "middle" as const, "bottom" as const)),
}) as fc.Arbitrary<MemberFacts>;

const op = fc.constantFrom("gte", "lte", "gt", "lt", "eq", "neq") as fc.Arbitrary<"gte" | "lte" | "gt" | "lt" | "eq" | "neq">;
const numeric = (attribute: string, values: fc.Arbitrary<number>) =>
  fc.record({ type: fc.constant("condition"), attribute: fc.constant(attribute), operator: op, value: values }) as unknown as fc.Arbitrary<Condition>;

const conditionArb: fc.Arbitrary<Condition> = fc.oneof(
  numeric("points_balance", fc.integer({ min: 0, max: 10 }).map((n) => n * 50)),
  numeric("lifetime_spend", fc.integer({ min: -2, max: 10 }).map((n) => n * 1000)),
  numeric("order_count", fc.integer({ min: 0, max: 6 })),
  numeric("days_since_last_order", fc.integer({ min: 0, max: 12 })),
  numeric("tenure_days", fc.integer({ min: 0, max: 12 })),
  numeric("referral_count", fc.integer({ min: 0, max: 4 })),
  numeric("cltv_percentile", fc.integer({ min: 0, max: 40 }).map((n) => n * 2.5)),
  numeric("p_alive", fc.constantFrom(0, 0.25, 0.5, 0.6, 1)),
  fc.record({ type: fc.constant("condition"), attribute: fc.constant("birthday_month"), operator: fc.constant("in"), value: fc.uniqueArray(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 4 }) }),
  fc.record({ type: fc.constant("condition"), attribute: fc.constant("tier"), operator: fc.constant("in"), value: fc.uniqueArray(fc.constantFrom(...TIERS, "tier_x"), { minLength: 1, maxLength: 3 }) }),
  fc.record({ type: fc.constant("condition"), attribute: fc.constant("value_segment"), operator: fc.constant("in"), value: fc.uniqueArray(fc.constantFrom("top", "middle", "bottom"), { minLength: 1, maxLength: 3 }) }),
  fc.record({
    type: fc.constant("condition"),
    attribute: fc.constant("tags"),
    operator: fc.constantFrom("has_any", "has_all", "has_none"),
    // Repeated tags in has_all must not change its meaning.
    value: fc.array(fc.constantFrom(...TAGS, "nobody"), { minLength: 1, maxLength: 3 }),
  }),
  fc.record({ type: fc.constant("condition"), attribute: fc.constant("at_risk"), operator: fc.constant("is"), value: fc.boolean() }),
) as fc.Arbitrary<Condition>;

const ruleArb: fc.Arbitrary<Group> = fc.letrec<{ group: Group }>((tie) => ({
  group: fc.record({
    type: fc.constant("group" as const),
    op: fc.constantFrom("all" as const, "any" as const),
    conditions: fc.array(fc.oneof({ depthSize: "small", withCrossShrink: true }, conditionArb, tie("group")), { maxLength: 4 }),
  }),
})).group.filter((g) => RuleSchema.safeParse(g).success);

const hasStats = (m: MemberFacts) =>
  m.orderCount !== 0 || m.lifetimeSpendMinor !== 0 || m.lastOrderAt !== null || m.referralCount !== 0 ||
  m.cltvPercentile !== null || m.pAlive !== null || m.atRisk !== null || m.valueSegment !== null;

async function insertMembers(merchantId: string, members: MemberFacts[]): Promise<string[]> {
  const ids = members.map(() => newId("member"));
  await withTenant(testDb(), merchantId, async (trx) => {
    if (!members.length) return;
    await trx
      .insertInto("members")
      .values(members.map((m, i) => ({ merchant_id: merchantId, id: ids[i]!, email: `${ids[i]}@example.com`, status: m.status, birthday: m.birthday, created_at: m.createdAt })))
      .execute();
    await trx
      .insertInto("member_balances")
      .values(members.map((m, i) => ({ merchant_id: merchantId, member_id: ids[i]!, available: m.pointsBalance })))
      .execute();
    // Members with no orders and no scores have no member_stats row at all half of the time (the left join's null case).
    const stats = members.flatMap((m, i) =>
      i % 2 === 0 && !hasStats(m)
        ? []
        : [
            {
              merchant_id: merchantId,
              member_id: ids[i]!,
              order_count: m.orderCount,
              lifetime_spend_minor: m.lifetimeSpendMinor,
              last_order_at: m.lastOrderAt,
              referral_count: m.referralCount,
              cltv_percentile: m.cltvPercentile,
              p_alive: m.pAlive,
              at_risk: m.atRisk,
              value_segment: m.valueSegment,
            },
          ],
    );
    if (stats.length) await trx.insertInto("member_stats").values(stats).execute();
    const tiers = members.flatMap((m, i) => (m.tierId ? [{ merchant_id: merchantId, member_id: ids[i]!, tier_id: m.tierId }] : []));
    if (tiers.length) await trx.insertInto("member_tiers").values(tiers).execute();
    const tags = members.flatMap((m, i) => m.tags.map((tag) => ({ merchant_id: merchantId, member_id: ids[i]!, tag })));
    if (tags.length) await trx.insertInto("member_tags").values(tags).execute();
  });
  return ids;
}

describe("segment rules: SQL vs brute force (property)", () => {
  it("the compiled query returns exactly the members the evaluator accepts", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(memberArb, { minLength: 1, maxLength: 25 }), fc.array(ruleArb, { minLength: 1, maxLength: 6 }), async (members, rules) => {
        const merchant = await createMerchant();
        const ids = await insertMembers(merchant.id, members);
        for (const rule of rules) {
          const expected = ids.filter((_, i) => memberMatches(rule, members[i]!, AT)).sort();
          const actual = await withTenant(testDb(), merchant.id, async (trx) => {
            const res = await sql<{ id: string }>`${segmentMemberIds(merchant.id, rule, AT)}`.execute(trx);
            return res.rows.map((r) => r.id).sort();
          });
          expect(actual, JSON.stringify(rule)).toEqual(expected);
          const count = await withTenant(testDb(), merchant.id, (trx) => countSegment(trx, merchant.id, rule, AT));
          expect(count).toBe(expected.length);
          // The single-member form the portal uses agrees too.
          for (const id of ids.slice(0, 3)) {
            const one = await withTenant(testDb(), merchant.id, (trx) => memberInSegment(trx, merchant.id, rule, id, AT));
            expect(one).toBe(expected.includes(id));
          }
        }
      }),
      { numRuns: 40 },
    );
  }, 120_000);
});
