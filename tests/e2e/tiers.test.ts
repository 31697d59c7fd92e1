import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { withTenant } from "~/db.server";
import { recordPurchase } from "~/domain/flows/purchase.server";
import { runTierReevaluation } from "~/domain/tiers/jobs.server";
import { CHROMIUM_ARGS } from "../support/chromium";
import { startAppServer } from "../support/app-server";
import { signedInPage } from "../support/browser-page";
import { testDb } from "../support/db";
import { createTenantFixture, type TenantFixture } from "../support/tenancy";
import { seriousAxeViolations as axe } from "../support/axe";

/**
 * Tiers in a real browser: staff build a ladder in the editor (rows added client-side, an error next to the threshold
 * that does not increase), save, and watch the background re-evaluation finish; the member then sees their tier and
 * the "spend … more by … to reach …" progress line. axe on both pages.
 */
const chromiumPath = inject("chromiumPath");

describe.skipIf(!chromiumPath)("tiers", () => {
  let server: Awaited<ReturnType<typeof startAppServer>>;
  let browser: Browser;
  let fx: TenantFixture;

  beforeAll(async () => {
    server = await startAppServer();
    browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
    fx = await createTenantFixture("tiers");
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function open(cookie: string, path: string) {
    const { page, errors } = await signedInPage(browser, server.baseUrl, cookie);
    const res = await page.goto(path, { waitUntil: "networkidle" });
    expect(res?.status()).toBe(200);
    return { page, errors };
  }

  it("staff build the ladder with field errors, save, and the re-evaluation progress completes; the member sees their tier", async () => {
    const { page, errors } = await open(fx.staffCookie, `/admin/${fx.slug}/tiers`);
    expect(await axe(page)).toEqual([]);
    for (let i = 0; i < 3; i++) await page.getByRole("button", { name: "Add tier" }).click();
    const row = (n: number) => page.getByRole("group", { name: `Tier ${n}` });
    await row(1).getByLabel("Name").fill("Bean");
    await row(1).getByLabel("Threshold (USD)").fill("100");
    await row(2).getByLabel("Name").fill("Roast");
    await row(2).getByLabel("Threshold (USD)").fill("50");
    await row(2).getByLabel("Earning multiplier (%)").fill("150");
    await row(3).getByLabel("Name").fill("Reserve");
    await row(3).getByLabel("Threshold (USD)").fill("1000");
    await page.getByRole("button", { name: "Save tiers" }).click();
    const threshold2 = row(2).getByLabel("Threshold (USD)");
    await expect.poll(() => threshold2.getAttribute("aria-invalid")).toBe("true");
    await expect.poll(() => row(2).innerText()).toContain("Threshold must be higher than the tier below");
    expect(await axe(page)).toEqual([]);

    await threshold2.fill("500");
    await page.getByRole("button", { name: "Save tiers" }).click();
    await expect.poll(() => page.getByText("Tiers saved. Members are being re-evaluated.").isVisible()).toBe(true);
    await expect.poll(() => page.getByText(/Re-evaluating members: 0 of \d+/).isVisible()).toBe(true);

    // The worker's part, run here: the page polls its job row and reports it done.
    const job = await withTenant(testDb(), fx.merchantId, (trx) => trx.selectFrom("tier_jobs").select("id").where("merchant_id", "=", fx.merchantId).executeTakeFirstOrThrow());
    await runTierReevaluation(fx.merchantId, job.id);
    await expect.poll(() => page.getByText(/Last re-evaluation: \d+ members/).isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await page.getByRole("table", { name: "Members holding each tier" }).innerText()).toContain("Roast");

    await withTenant(testDb(), fx.merchantId, (trx) =>
      recordPurchase(
        trx,
        fx.merchantId,
        {
          memberId: fx.memberId,
          externalOrderId: "e2e-tier-1",
          amountMinor: 46_200 - 4_250, // the fixture member already has a $42.50 order
          currency: "USD",
          occurredAt: new Date(Date.now() - 60_000),
          awardPoints: true,
        },
        { channel: "api", actor: { type: "system", id: "e2e" } },
      ),
    );
    const member = await open(fx.memberCookie, `/p/${fx.slug}/tier`);
    await expect.poll(() => member.page.getByRole("heading", { name: "Your tier: Bean" }).isVisible()).toBe(true);
    const year = new Date().getUTCFullYear();
    expect(await member.page.getByText(/Spend \$38\.00 more by 31 Dec \d{4} to reach Roast\./).innerText()).toContain(String(year));
    expect(await member.page.getByRole("progressbar", { name: "Progress to Roast" }).getAttribute("aria-valuenow")).toBe("90");
    expect(await axe(member.page)).toEqual([]);
    expect([...errors, ...member.errors]).toEqual([]);
  });
});
