import { afterEach, describe, expect, it } from "vitest";
import { advanceClock, resetClock } from "~/lib/clock.server";
import { memberCookieName } from "~/auth/cookies.server";
import { createMemberSession } from "~/auth/member-session.server";
import { withTenant } from "~/db.server";
import { recordPurchase } from "~/domain/flows/purchase.server";
import { runTierReevaluation } from "~/domain/tiers/jobs.server";
import { periodEndSentence, progressSentence } from "~/components/tiers/portal-tier";
import { newId } from "~/lib/ids";
import * as memberPage from "~/routes/admin.$merchant.members.$memberId";
import * as tiersPage from "~/routes/admin.$merchant.tiers";
import * as portalTier from "~/routes/p.$merchant.tier";
import { createMerchant, createStaff, getRequest, insertMembers, postRequest } from "../../support/admin";
import { testDb } from "../../support/db";

/** The admin tier editor, the pin form and the portal tier page, through their route modules. */

afterEach(() => resetClock());
type Reply = { status?: string; error?: Record<string, string[] | null> };
type Out = { intent: string; result: Reply | null; saved: boolean };
const unwrap = (v: unknown): { status: number; body: Out } =>
  v && typeof v === "object" && "init" in v
    ? { status: (v as { init?: { status?: number } }).init?.status ?? 200, body: (v as unknown as { data: Out }).data }
    : { status: 200, body: v as Out };

const LADDER: Array<[string, string]> = [
  ["basis", "spend"],
  ["window", "calendar_year"],
  ["graceDays", "0"],
  ["downgrade", "one_step"],
  ["tiers[0].name", "Bean"],
  ["tiers[0].threshold", "100.00"],
  ["tiers[0].earningPercent", "100"],
  ["tiers[1].name", "Roast"],
  ["tiers[1].threshold", "500"],
  ["tiers[1].earningPercent", "150"],
  ["tiers[1].perks", "Free oat milk"],
  ["tiers[2].name", "Reserve"],
  ["tiers[2].threshold", "1000"],
  ["tiers[2].earningPercent", "200"],
  ["tiers[2].exclusiveAccess", "on"],
];

async function setup() {
  const m = await createMerchant({ timezone: "America/New_York" });
  const owner = await createStaff(m.id, "owner");
  const analyst = await createStaff(m.id, "analyst");
  const [member] = await insertMembers(m.id, [{ email: `tier-${newId("member").slice(-6)}@example.com`, name: "Ada" }]);
  const post = (cookie: string, fields: Array<[string, string]>) => tiersPage.action({ request: postRequest(`/admin/${m.slug}/tiers`, cookie, fields), params: { merchant: m.slug }, context: {} });
  const load = (cookie: string) => tiersPage.loader({ request: getRequest(`/admin/${m.slug}/tiers`, cookie), params: { merchant: m.slug }, context: {} });
  return { m, owner, analyst, member: member!, post, load };
}

describe("admin tier editor", () => {
  it("saves the ladder, audits it, queues the re-evaluation and shows its progress", async () => {
    const { m, owner, analyst, post, load } = await setup();
    const saved = unwrap(await post(owner.cookie, LADDER));
    expect(saved.body).toMatchObject({ intent: "save", saved: true });
    const page = await load(analyst.cookie);
    expect(page.program.settings).toEqual({ basis: "spend", window: "calendar_year", graceDays: 0, downgrade: "one_step" });
    expect(page.program.tiers.map((t) => [t.name, t.rank, t.threshold, t.earningPercent, t.exclusiveAccess])).toEqual([
      ["Bean", 1, 10_000, 100, false],
      ["Roast", 2, 50_000, 150, false],
      ["Reserve", 3, 100_000, 200, true],
    ]);
    expect(page.thresholds).toEqual(["$100.00", "$500.00", "$1,000.00"]);
    expect(page.job).toMatchObject({ status: "queued" });
    await runTierReevaluation(m.id, page.job!.id);
    expect((await load(analyst.cookie)).job).toMatchObject({ status: "done", total: 1, done: 1 });
    const audit = await withTenant(testDb(), m.id, (trx) => trx.selectFrom("audit_log").select("action").where("merchant_id", "=", m.id).where("action", "=", "tiers.update").execute());
    expect(audit).toHaveLength(1);
    // Unchanged: nothing saved, nothing queued.
    const again = unwrap(await post(owner.cookie, page.program.tiers.flatMap((t, i) => [[`tiers[${i}].id`, t.id]] as Array<[string, string]>).concat(LADDER)));
    expect(again.body.saved).toBe(false);
  });

  it("answers field errors for thresholds that do not increase and bad values, and saves nothing", async () => {
    const { m, owner, post } = await setup();
    const bad = LADDER.map(([k, v]): [string, string] => (k === "tiers[1].threshold" ? [k, "100"] : k === "tiers[2].earningPercent" ? [k, "50"] : k === "graceDays" ? [k, "x"] : [k, v]));
    const r = unwrap(await post(owner.cookie, bad));
    expect(r.status).toBe(400);
    expect(r.body.result?.error).toMatchObject({
      "tiers[1].threshold": ["Threshold must be higher than the tier below"],
      "tiers[2].earningPercent": ["Earning multiplier must be a whole percent from 100 (none) to 1000"],
      graceDays: ["Grace period must be a whole number of days from 0 to 90"],
    });
    const tiers = await withTenant(testDb(), m.id, (trx) => trx.selectFrom("tiers").select("id").where("merchant_id", "=", m.id).execute());
    expect(tiers).toEqual([]);
  });

  it("analysts cannot save", async () => {
    const { analyst, post } = await setup();
    await expect(post(analyst.cookie, LADDER)).rejects.toMatchObject({ status: 403 });
  });
});

describe("pins from the member page and the portal tier page", () => {
  it("pins with a reason, shows it on the member page and in the portal with progress and period-end text", async () => {
    const { m, owner, member, post } = await setup();
    unwrap(await post(owner.cookie, LADDER));
    resetClock();
    advanceClock(new Date("2026-06-01T16:00:00Z").getTime() - Date.now());
    await withTenant(testDb(), m.id, (trx) =>
      recordPurchase(trx, m.id, { memberId: member, externalOrderId: "o-1", amountMinor: 46_200, currency: "USD", occurredAt: new Date("2026-06-01T15:00:00Z"), awardPoints: true }, { channel: "api", actor: { type: "system", id: "t" } }),
    );
    const tiers = await withTenant(testDb(), m.id, (trx) => trx.selectFrom("tiers").select(["id", "name"]).where("merchant_id", "=", m.id).execute());
    const reserve = tiers.find((t) => t.name === "Reserve")!.id;

    const missing = unwrap(await post(owner.cookie, [["intent", "pin"], ["memberId", member], ["tierId", reserve], ["until", ""], ["reason", ""]]));
    expect(missing.status).toBe(400);
    expect(Object.keys(missing.body.result?.error ?? {}).sort()).toEqual(["reason", "until"]);

    const pinned = unwrap(await post(owner.cookie, [["intent", "pin"], ["memberId", member], ["tierId", reserve], ["until", "2026-06-30"], ["reason", "Wholesale partner"]]));
    expect(pinned.body).toMatchObject({ intent: "pin", saved: true });

    const page = await memberPage.loader({ request: getRequest(`/admin/${m.slug}/members/${member}`, owner.cookie), params: { merchant: m.slug, memberId: member }, context: {} });
    expect(page.tier.view.tier?.name).toBe("Reserve");
    expect(page.tier.view.pin).toMatchObject({ tierName: "Reserve", reason: "Wholesale partner" });
    expect(page.tier.history.map((h) => h.reason)).toEqual(["pin", "upgrade"]);

    const { token } = await createMemberSession(testDb(), m.id, member);
    const portal = await portalTier.loader({ request: getRequest(`/p/${m.slug}/tier`, `${memberCookieName(m.slug)}=${token}`), params: { merchant: m.slug }, context: {} });
    expect(portal.view.figureText).toBe("$462.00");
    expect(periodEndSentence(portal.view)).toBe("You hold Reserve until 30 Jun 2026.");
    // Pinned at the top; the progress line speaks of the tier above the one held (none here).
    expect(progressSentence(portal.view)).toBeNull();

    const unpinned = unwrap(await post(owner.cookie, [["intent", "unpin"], ["memberId", member]]));
    expect(unpinned.body.saved).toBe(true);
    const after = await portalTier.loader({ request: getRequest(`/p/${m.slug}/tier`, `${memberCookieName(m.slug)}=${token}`), params: { merchant: m.slug }, context: {} });
    expect(after.view.tier?.name).toBe("Bean");
    expect(progressSentence(after.view)).toBe("Spend $38.00 more by 31 Dec 2026 to reach Roast.");
    expect(periodEndSentence(after.view)).toBe("Bean is yours until at least 31 Dec 2027. Keep qualifying to keep it longer.");
  });
});
