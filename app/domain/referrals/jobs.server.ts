import { sql } from "kysely";
import { now } from "~/lib/clock.server";
import { db, withTenant, type DB } from "~/db.server";
import { enqueueEmail } from "~/domain/email/outbox.server";
import { appUrl } from "~/lib/env.server";
import type { GrantReward } from "./ports.server";
import { releaseReferral } from "./qualification.server";

/**
 * Scheduled referral work. Both jobs go round the merchants (the global `merchants` table) and find each one's work
 * through a security-definer function that returns ids only, one statement pinned to that merchant (as Citus wants:
 * docs/scale-out.md, "Cross-merchant work"), then do each piece in its own tenant transaction. A merchant with
 * nothing due costs that one indexed statement. Both are idempotent and safe to run concurrently (row locks and
 * status checks inside the domain functions, `for update skip locked` on the digest rows).
 */

/** Per merchant and run: what is left waits for the next run, and no merchant's backlog holds up the others. */
const BATCH = 500;

async function merchantIds(database: DB): Promise<string[]> {
  const rows = await database.selectFrom("merchants").select("id").orderBy("id").execute();
  return rows.map((m) => m.id);
}

/**
 * Ends hold periods that are over: referrals become rewarded and waiting catalog rewards are granted through `grant`
 * (the rewards program's grantReward, passed by flows/referral-rewards.server.ts).
 */
export async function runReferralRelease(grant: GrantReward, at: Date = now(), database: DB = db()): Promise<{ released: number; failed: number }> {
  let released = 0;
  let failed = 0;
  for (const merchantId of await merchantIds(database)) {
    const { rows } = await sql<{ referral_id: string }>`select referral_id from referral_due_work(${merchantId}, ${at}, ${BATCH})`.execute(database);
    for (const r of rows) {
      try {
        if (await withTenant(database, merchantId, (trx) => releaseReferral(trx, merchantId, r.referral_id, grant))) released++;
      } catch (err) {
        // One failure (e.g. a catalog reward out of stock) must not stop the others; it is retried next run.
        failed++;
        console.error(`[referrals] release of ${r.referral_id} failed: ${(err as Error).message}`);
      }
    }
  }
  return { released, failed };
}

/**
 * One digest e-mail per ancestor (level 2+) summarising the network rewards credited since the last digest, so a
 * busy network does not send an e-mail per friend. Reversed payouts are marked digested without being counted.
 */
export async function runAncestorDigest(database: DB = db()): Promise<{ sent: number }> {
  let sent = 0;
  for (const merchantId of await merchantIds(database)) {
    const { rows } = await sql<{ member_id: string }>`select member_id from referral_digest_work(${merchantId}, ${BATCH})`.execute(database);
    for (const { member_id } of rows) if (await digestOne(database, merchantId, member_id)) sent++;
  }
  return { sent };
}

/** One ancestor's digest in its own tenant transaction; false when there was nothing (left) to send. */
function digestOne(database: DB, merchantId: string, memberId: string): Promise<boolean> {
  return withTenant(database, merchantId, async (trx) => {
    const due = await trx
      .selectFrom("referral_payouts")
      .select(["id", "points", "status"])
      .where("merchant_id", "=", merchantId)
      .where("beneficiary_id", "=", memberId)
      .where("role", "=", "ancestor")
      .where("digested_at", "is", null)
      .forUpdate()
      .skipLocked()
      .execute();
    if (due.length === 0) return false;
    await trx
      .updateTable("referral_payouts")
      .set({ digested_at: now() })
      .where("merchant_id", "=", merchantId)
      .where("id", "in", due.map((d) => d.id))
      .execute();
    const paid = due.filter((d) => d.status === "paid");
    if (paid.length === 0) return false;
    const [member, merchant] = await Promise.all([
      trx.selectFrom("members").select(["name", "email", "status"]).where("merchant_id", "=", merchantId).where("id", "=", memberId).executeTakeFirstOrThrow(),
      trx.selectFrom("merchants").select(["name", "slug"]).where("id", "=", merchantId).executeTakeFirstOrThrow(),
    ]);
    if (member.status !== "active") return false;
    await enqueueEmail(trx, merchantId, {
      template: "referral-ancestor-digest",
      to: member.email,
      props: {
        memberName: member.name,
        merchantName: merchant.name,
        qualified: paid.length,
        points: paid.reduce((s, d) => s + (d.points ?? 0), 0),
        portalUrl: `${appUrl()}/p/${merchant.slug}/referrals`,
      },
    });
    return true;
  });
}
