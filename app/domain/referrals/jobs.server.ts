import { sql } from "kysely";
import { now } from "~/lib/clock.server";
import { db, withTenant, type DB } from "~/db.server";
import { enqueueEmail } from "~/domain/email/outbox.server";
import { appUrl } from "~/lib/env.server";
import type { GrantReward } from "./ports.server";
import { releaseReferral } from "./qualification.server";

/**
 * Scheduled referral work. Both jobs find work through security-definer functions that return ids only, then do
 * each piece in its own tenant transaction; both are idempotent and safe to run concurrently (row locks and
 * status checks inside the domain functions, `for update skip locked` on the digest rows).
 */

const BATCH = 500;

/**
 * Ends hold periods that are over: referrals become rewarded and waiting catalog rewards are granted through `grant`
 * (the rewards program's grantReward, passed by flows/referral-rewards.server.ts).
 */
export async function runReferralRelease(grant: GrantReward, at: Date = now(), database: DB = db()): Promise<{ released: number; failed: number }> {
  let released = 0;
  let failed = 0;
  const { rows } = await sql<{ merchant_id: string; referral_id: string }>`select * from referral_due_work(${at}, ${BATCH})`.execute(database);
  for (const r of rows) {
    try {
      if (await withTenant(database, r.merchant_id, (trx) => releaseReferral(trx, r.merchant_id, r.referral_id, grant))) released++;
    } catch (err) {
      // One merchant's failure (e.g. a catalog reward out of stock) must not stop the others; it is retried next run.
      failed++;
      console.error(`[referrals] release of ${r.referral_id} failed: ${(err as Error).message}`);
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
  const { rows } = await sql<{ merchant_id: string; member_id: string }>`select * from referral_digest_work(${BATCH})`.execute(database);
  for (const r of rows) {
    const didSend = await withTenant(database, r.merchant_id, async (trx) => {
      const due = await trx
        .selectFrom("referral_payouts")
        .select(["id", "points", "status"])
        .where("merchant_id", "=", r.merchant_id)
        .where("beneficiary_id", "=", r.member_id)
        .where("role", "=", "ancestor")
        .where("digested_at", "is", null)
        .forUpdate()
        .skipLocked()
        .execute();
      if (due.length === 0) return false;
      await trx
        .updateTable("referral_payouts")
        .set({ digested_at: now() })
        .where("merchant_id", "=", r.merchant_id)
        .where("id", "in", due.map((d) => d.id))
        .execute();
      const paid = due.filter((d) => d.status === "paid");
      if (paid.length === 0) return false;
      const [member, merchant] = await Promise.all([
        trx.selectFrom("members").select(["name", "email", "status"]).where("merchant_id", "=", r.merchant_id).where("id", "=", r.member_id).executeTakeFirstOrThrow(),
        trx.selectFrom("merchants").select(["name", "slug"]).where("id", "=", r.merchant_id).executeTakeFirstOrThrow(),
      ]);
      if (member.status !== "active") return false;
      await enqueueEmail(trx, r.merchant_id, {
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
    if (didSend) sent++;
  }
  return { sent };
}
