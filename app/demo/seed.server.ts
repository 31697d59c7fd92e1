import type { DB, Trx } from "~/db.server";
import { setTenant } from "~/db.server";
import { recordAudit } from "~/domain/audit/audit.server";
import { newId } from "~/lib/ids";
import type { MerchantSettings, Order } from "~db/schema";
import { earnForEvent } from "~/domain/flows/earning.server";
import { spendPoints } from "~/domain/points/ledger.server";
import { earnRecordedOrders } from "~/domain/flows/historical-earning.server";
import { recordRefund } from "~/domain/flows/purchase.server";
import { DEFAULT_EARNING_RULES, EarningRulesSchema } from "~/domain/points/rules";
import { generateDemoData, summarizeDemoData } from "./generate";
import { seedDemoRewards } from "./rewards.server";
import { seedDemoReferrals } from "./referrals.server";
import { seedDemoTiers } from "./tiers.server";
import { seedDemoCltv } from "./cltv.server";
import { DEMO_LOYALTY_PROGRAM, seedDemoLoyaltyHoldout } from "./incrementality.server";
import { seedDemoOffers } from "./offers.server";
import { bernoulli, deriveSeed, seededRng } from "~/lib/random";

/**
 * The demo merchant, Northwind Coffee: ~2,000 members and two years of orders from the seeded generator, an owner
 * login and one member login. Runs on first start (SEED_DEMO=true) and from tests.
 */

export const DEMO_SLUG = "northwind";
export const DEMO_NAME = "Northwind Coffee";
export const DEMO_SEED = 20261122;
export const DEMO_OWNER_EMAIL = "owner@northwind.test";
export const DEMO_MEMBER_EMAIL = "member@northwind.test";
export const DEMO_PASSWORD = "perennial-demo";

const CURRENCY = "USD";
const TIME_ZONE = "America/New_York";
// 1,000 rows × ≤ 11 columns stays far below PostgreSQL's 65,535 bind parameters per statement.
const CHUNK = 1000;
/** The loyalty program "launched" this long before the seed date: older orders are history without points (as a CSV import). */
const PROGRAM_DAYS = 120;

export interface SeedDemoOptions {
  now?: Date;
  seed?: number;
  members?: number;
  /** Overrides for tests, which cannot share the fixed slug and owner e-mail. */
  slug?: string;
  name?: string;
  ownerEmail?: string;
  ownerPassword?: string;
  memberEmail?: string;
  memberPassword?: string;
  hashPassword: (pw: string) => Promise<string>;
  /** Called once the seed knows it will create the merchant (the first start tells the user to wait). */
  onSeeding?: () => void;
  /** Called after each step with its wall time (the seed benchmark prints where the time goes). */
  onStep?: (step: string, ms: number) => void;
}

export interface SeedDemoResult {
  created: boolean;
  merchantId: string;
  ownerEmail: string;
  ownerPassword: string;
  memberEmail: string;
  memberPassword: string;
}

/**
 * Idempotent: when a merchant with the slug exists (seeded earlier, or by a concurrent start) nothing is written
 * and `created` is false. Otherwise everything is inserted in one transaction, so a crash leaves no half merchant.
 * An existing staff user with the owner e-mail is reused as the owner and keeps its password.
 */
export async function seedDemoMerchant(database: DB, opts: SeedDemoOptions): Promise<SeedDemoResult> {
  const slug = opts.slug ?? DEMO_SLUG;
  const credentials = {
    ownerEmail: (opts.ownerEmail ?? DEMO_OWNER_EMAIL).toLowerCase(),
    ownerPassword: opts.ownerPassword ?? DEMO_PASSWORD,
    memberEmail: (opts.memberEmail ?? DEMO_MEMBER_EMAIL).toLowerCase(),
    memberPassword: opts.memberPassword ?? DEMO_PASSWORD,
  };

  const existing = await findMerchantBySlug(database, slug);
  if (existing) return { created: false, merchantId: existing, ...credentials };
  opts.onSeeding?.();
  let mark = performance.now();
  const step = (name: string) => {
    const t = performance.now();
    opts.onStep?.(name, t - mark);
    mark = t;
  };

  const now = opts.now ?? new Date();
  const seed = opts.seed ?? DEMO_SEED;
  const data = generateDemoData({ seed, now, members: opts.members ?? 2000, timeZone: TIME_ZONE, program: DEMO_LOYALTY_PROGRAM });
  step("generate");
  // Hash outside the transaction: argon2 is deliberately slow and should not hold a connection in a transaction.
  const [ownerHash, memberHash] = await Promise.all([
    opts.hashPassword(credentials.ownerPassword),
    opts.hashPassword(credentials.memberPassword),
  ]);
  step("password hashes");

  const merchantId = newId("merchant");
  // The shop predates its first member: the merchant's history starts where the generated history starts.
  const openedAt = new Date(now.getTime() - data.truth.params.historyDays * 86_400_000);
  const settings: MerchantSettings = { brandColor: "#7c4a2d", portalTagline: "Earn beans with every cup", membersOnlyPortal: true };

  try {
    await database.transaction().execute(async (trx) => {
      await trx
        .insertInto("merchants")
        .values({
          id: merchantId,
          slug,
          name: opts.name ?? DEMO_NAME,
          currency: CURRENCY,
          timezone: TIME_ZONE,
          settings: JSON.stringify(settings),
          created_at: openedAt,
        })
        .execute();
      await setTenant(trx, merchantId);

      const ownerId = await ensureOwner(trx, credentials.ownerEmail, ownerHash, openedAt);
      await trx.insertInto("merchant_staff").values({ merchant_id: merchantId, staff_user_id: ownerId, role: "owner", created_at: openedAt }).execute();

      const memberIds = data.members.map(() => newId("member"));
      const memberRows = data.members.map((m, i) => {
        const isDemo = m.key === data.demoMemberKey;
        return {
          merchant_id: merchantId,
          id: memberIds[i]!,
          email: isDemo ? credentials.memberEmail : m.email,
          external_id: m.externalId,
          name: m.name,
          birthday: m.birthday,
          status: "active" as const,
          password_hash: isDemo ? memberHash : null,
          created_at: m.createdAt,
          updated_at: m.createdAt,
          password_changed_at: isDemo ? m.createdAt : null,
        };
      });
      for (let i = 0; i < memberRows.length; i += CHUNK) {
        await trx.insertInto("members").values(memberRows.slice(i, i + CHUNK)).execute();
      }
      step("merchant, owner and members");

      // Recorded as they happened: created_at = occurred_at, as if the shop had been sending orders all along.
      const orderRows = data.orders.map((o) => ({
        merchant_id: merchantId,
        id: newId("order"),
        member_id: memberIds[o.memberKey]!,
        source: "seed" as const,
        external_order_id: o.externalOrderId,
        amount_minor: o.amountMinor,
        currency: CURRENCY,
        occurred_at: o.occurredAt,
        created_at: o.occurredAt,
      }));
      const orders: Order[] = [];
      for (let i = 0; i < orderRows.length; i += CHUNK) {
        orders.push(...(await trx.insertInto("orders").values(orderRows.slice(i, i + CHUNK)).returningAll().execute()));
      }
      step("orders");
      // Before the points: held-out members of the loyalty program earn none.
      await seedDemoLoyaltyHoldout(trx, merchantId, memberIds, data, now);
      step("loyalty holdout");
      await seedPoints(trx, merchantId, orders, now, seed, memberIds, memberIds[data.demoMemberKey]!, step);
      await seedDemoTiers(trx, merchantId, now);
      step("tiers");
      await seedDemoRewards(trx, merchantId, memberIds[data.demoMemberKey]!);
      step("rewards");
      await seedDemoReferrals(trx, merchantId, memberIds[data.demoMemberKey]!, memberIds, now);
      step("referrals");
      await seedDemoCltv(trx, merchantId, now);
      step("CLTV");
      await seedDemoOffers(trx, merchantId, TIME_ZONE, now);
      step("offers");

      const summary = summarizeDemoData(data);
      await recordAudit(trx, merchantId, { type: "system", id: null }, "merchant.seeded", { type: "merchant", id: merchantId }, {
        after: { seed, now: now.toISOString(), members: summary.members, buyers: summary.buyers, orders: summary.orders, revenueMinor: summary.revenueMinor },
      });
      step("audit");
    });
    step("commit");
  } catch (err) {
    // A concurrent start seeded the same slug first: that is the idempotent outcome, not an error.
    if (isUniqueViolation(err, "merchants_slug_key")) {
      const winner = await findMerchantBySlug(database, slug);
      if (winner) return { created: false, merchantId: winner, ...credentials };
    }
    throw err;
  }

  return { created: true, merchantId, ...credentials };
}

/**
 * The points program as if it had run since its launch: orders after the launch earn through the real ledger
 * (pending for the return window, expiring after 12 months), about 1 in 50 of them is refunded, and members who
 * collected enough redeemed some points. Everything goes through the same functions the API uses.
 */
async function seedPoints(
  trx: Trx,
  merchantId: string,
  orders: Order[],
  now: Date,
  seed: number,
  memberIds: string[],
  demoMemberId: string,
  step: (name: string) => void,
) {
  const rules = EarningRulesSchema.parse({
    ...DEFAULT_EARNING_RULES,
    bonuses: { signup: 100, firstOrder: 50, birthday: 150, profileCompleted: 50 },
    customEvents: [{ key: "review_posted", label: "a product review", points: 25 }],
  });
  await trx.insertInto("earning_rules").values({ merchant_id: merchantId, rules: JSON.stringify(rules) }).execute();
  const rng = seededRng(deriveSeed(seed, 3));
  const actor = { type: "system" as const, id: "seed" };
  const launch = now.getTime() - PROGRAM_DAYS * 86_400_000;
  // The demo member joined the program early (a year of history), so their portal has something to show.
  const demoSince = now.getTime() - 365 * 86_400_000;
  const program = orders
    .filter((o) => o.occurred_at.getTime() >= (o.member_id === demoMemberId ? demoSince : launch))
    .sort((a, b) => a.occurred_at.getTime() - b.occurred_at.getTime());
  // Drawn in the order the orders happened, as when each refund followed its order's earning: the same refunds.
  const refunded = program.filter(() => bernoulli(rng, 0.02));
  await earnRecordedOrders(trx, merchantId, program, actor);
  step("points: orders earned");
  // After all the earnings, not each right after its order: the same ledger, since nothing is spent or settled in
  // between (a refund reverses its own lot's unspent points, and caps count lots' points whatever was reversed).
  for (const o of refunded) {
    await recordRefund(trx, merchantId, { orderId: o.id, externalRefundId: `re_${o.id.slice(4, 16)}`, amountMinor: o.amount_minor, actor });
  }
  step("points: refunds");
  // In the generator's member order: the rows' physical order depends on how they were written, and the draws below
  // must not (the demo is the same whatever path earned the points).
  const rank = new Map(memberIds.map((id, i) => [id, i]));
  const balances = (await trx.selectFrom("member_balances").select(["member_id", "available"]).where("merchant_id", "=", merchantId).where("available", ">=", 300).execute()).sort(
    (a, b) => rank.get(a.member_id)! - rank.get(b.member_id)!,
  );
  await earnForEvent(trx, merchantId, { memberId: demoMemberId, event: "review_posted", idempotencyKey: "seed-review", occurredAt: new Date(now.getTime() - 20 * 86_400_000), actor });
  for (const b of balances) {
    if (b.member_id !== demoMemberId && !bernoulli(rng, 0.4)) continue;
    await spendPoints(trx, merchantId, { memberId: b.member_id, points: 250, idempotencyKey: `seed-redeem:${b.member_id}`, description: "Redeemed for $2.50 off", actor });
  }
  const demo = await trx.selectFrom("member_balances").select("available").where("merchant_id", "=", merchantId).where("member_id", "=", demoMemberId).executeTakeFirst();
  if (demo && demo.available >= 100) {
    await spendPoints(trx, merchantId, { memberId: demoMemberId, points: 100, idempotencyKey: "seed-demo-treat", description: "Redeemed for a free pastry", actor });
  }
  step("points: redemptions");
}

async function findMerchantBySlug(database: DB, slug: string): Promise<string | undefined> {
  const row = await database.selectFrom("merchants").select("id").where("slug", "=", slug).executeTakeFirst();
  return row?.id;
}

async function ensureOwner(trx: Trx, email: string, passwordHash: string, createdAt: Date): Promise<string> {
  const found = await trx.selectFrom("staff_users").select("id").where("email", "=", email).executeTakeFirst();
  if (found) return found.id;
  const id = newId("staff");
  await trx
    .insertInto("staff_users")
    .values({ id, email, name: "Northwind Owner", password_hash: passwordHash, created_at: createdAt, password_changed_at: createdAt })
    .execute();
  return id;
}

function isUniqueViolation(err: unknown, constraint: string): boolean {
  const e = err as { code?: string; constraint?: string } | null;
  return e?.code === "23505" && e.constraint === constraint;
}
