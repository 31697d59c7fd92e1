import type { LoaderFunctionArgs } from "@remix-run/node";
import { describe, expect, it } from "vitest";
import { memberCookieName, STAFF_COOKIE } from "~/auth/cookies.server";
import { createMemberSession } from "~/auth/member-session.server";
import { createStaffSession } from "~/auth/staff-session.server";
import { withTenant } from "~/db.server";
import { seedDemoMerchant } from "~/demo/seed.server";
import * as memberPage from "~/routes/admin.$merchant.members.$memberId";
import * as adminLayout from "~/routes/admin.$merchant";
import * as portalLayout from "~/routes/p.$merchant";
import * as home from "~/routes/p.$merchant._index";
import * as points from "~/routes/p.$merchant.points";
import * as refer from "~/routes/p.$merchant.refer";
import * as rewards from "~/routes/p.$merchant.rewards";
import { closeRequestScope, openRequestScope, REQUEST_SCOPE_HEADER } from "~/web/request-scope.server";
import { testDb } from "../../support/db";
import { statementsSent } from "../../support/sql-sent";

/**
 * What one page request sends to PostgreSQL (issue 14: round trips are most of a page's cost). The layout's and the
 * page's loaders run together in one request scope, as the HTTP layer runs them for a document request, against the
 * demo merchant (members with orders, points, tiers, rewards, referrals).
 */

type Loader = { loader: (args: LoaderFunctionArgs) => Promise<unknown> };

async function documentRequest(path: string, cookie: string, loaders: Loader[], params: Record<string, string>) {
  const id = crypto.randomUUID();
  openRequestScope(id);
  try {
    const request = new Request(`http://localhost${path}`, { headers: { Cookie: cookie, [REQUEST_SCOPE_HEADER]: id } });
    const [data, sent] = await statementsSent(() => Promise.all(loaders.map((l) => l.loader({ request, params, context: {} }))));
    return { data, sent, transactions: sent.filter((s) => /^\s*begin\b/i.test(s)).length };
  } finally {
    closeRequestScope(id);
  }
}

describe("page statements", () => {
  it("reads each portal page and the admin member page in few round trips, one transaction for the page's data", { timeout: 120_000 }, async () => {
    const db = testDb();
    const slug = `stmts-${crypto.randomUUID().slice(0, 8)}`;
    const demo = await seedDemoMerchant(db, { hashPassword: async () => "x", members: 60, slug, ownerEmail: `${slug}-owner@example.com`, memberEmail: `${slug}-member@example.com` });
    const owner = await db.selectFrom("staff_users").select("id").where("email", "=", demo.ownerEmail).executeTakeFirstOrThrow();
    const { member, busiest } = await withTenant(db, demo.merchantId, async (trx) => ({
      member: await trx.selectFrom("members").select("id").where("merchant_id", "=", demo.merchantId).where("email", "=", demo.memberEmail).executeTakeFirstOrThrow(),
      busiest: await trx
        .selectFrom("orders")
        .select("member_id")
        .where("merchant_id", "=", demo.merchantId)
        .groupBy("member_id")
        .orderBy((eb) => eb.fn.countAll(), "desc")
        .limit(1)
        .executeTakeFirstOrThrow(),
    }));
    const portal = `${memberCookieName(slug)}=${encodeURIComponent((await createMemberSession(db, demo.merchantId, member.id)).token)}`;
    const staff = `${STAFF_COOKIE}=${encodeURIComponent((await createStaffSession(db, owner.id)).token)}`;
    const p = { merchant: slug };

    // Before: 19 / 15 / 12 statements in 4 / 3 / 2 transactions (the page's parts each in a transaction of their own,
    // the earning rules read twice, the session in a begin, select, commit of its own); then 7 / 6 for home and
    // points (the loyalty holdout a statement of its own, now read with the points).
    const homePage = await documentRequest(`/p/${slug}`, portal, [portalLayout, home], p);
    expect(homePage.sent.length, homePage.sent.join("\n")).toBeLessThanOrEqual(6);
    expect(homePage.transactions).toBe(2);
    const pointsPage = await documentRequest(`/p/${slug}/points`, portal, [portalLayout, points], p);
    expect(pointsPage.sent.length, pointsPage.sent.join("\n")).toBeLessThanOrEqual(5);
    expect(pointsPage.transactions).toBe(2);
    const rewardsPage = await documentRequest(`/p/${slug}/rewards`, portal, [portalLayout, rewards], p);
    expect(rewardsPage.sent.length, rewardsPage.sent.join("\n")).toBeLessThanOrEqual(8);
    expect(rewardsPage.transactions).toBe(2);
    // Before: 14 (the block, the holdout and the code in three statements, the referrals and the points they earned
    // in two, `set local jit` a round trip of its own).
    const referPage = await documentRequest(`/p/${slug}/refer`, portal, [portalLayout, refer], p);
    expect(referPage.sent.length, referPage.sent.join("\n")).toBeLessThanOrEqual(10);
    expect(referPage.transactions).toBe(2);

    // Before: 31 statements, the earning rules read twice, the profile in four statements, and every audit entry's
    // documents before and after in the page's data; then 20 (the merchant read by slug and again with the
    // memberships, the tier panel's holdout in two statements, `set local jit` a round trip of its own).
    const admin = await documentRequest(`/admin/${slug}/members/${busiest.member_id}`, staff, [adminLayout, memberPage], { merchant: slug, memberId: busiest.member_id! });
    expect(admin.sent.length, admin.sent.join("\n")).toBeLessThanOrEqual(16);
    expect(admin.sent.filter((s) => s.includes("earning_rules")).length).toBe(1);
    const page = admin.data[1] as { profile: { audit: Array<Record<string, unknown>> }; ledger: unknown[] };
    expect(page.ledger.length).toBeGreaterThan(0);
    for (const e of page.profile.audit) {
      expect(e).not.toHaveProperty("before");
      expect(e).not.toHaveProperty("after");
      expect(e).toHaveProperty("change");
    }
  });
});
