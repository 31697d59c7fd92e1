import { sql } from "kysely";
import type { Trx } from "~/db.server";
import { CONTROL, createExperiment, TREATMENT } from "~/domain/experiments/assignment.server";
import type { DemoData } from "./generate";

/**
 * The demo merchant's loyalty program holdout (issue 6): 10% of members held out since the program's launch, drawn
 * by the generator per member, and a real effect in the generated orders (treated members buy 40% more often after
 * the launch), so the demo report shows a meaningful incremental CLTV with its interval. Members who joined before
 * the launch are assigned at the launch; later ones when they joined. Must run before the seed earns points, so
 * held-out members earn none.
 */
export const DEMO_LOYALTY_PROGRAM = { launchDaysAgo: 120, holdoutShare: 0.1, purchaseLift: 0.4 };

export async function seedDemoLoyaltyHoldout(trx: Trx, merchantId: string, memberIds: string[], data: DemoData, now: Date): Promise<void> {
  const launch = new Date(now.getTime() - DEMO_LOYALTY_PROGRAM.launchDaysAgo * 86_400_000);
  const experiment = await createExperiment(trx, merchantId, {
    kind: "loyalty_program",
    name: "Loyalty program holdout",
    holdoutBps: Math.round(DEMO_LOYALTY_PROGRAM.holdoutShare * 10000),
  });
  await trx.updateTable("experiments").set({ created_at: launch }).where("merchant_id", "=", merchantId).where("id", "=", experiment.id).execute();
  const arms = data.members.map((m) => (data.truth.customers[m.key]!.heldOut ? CONTROL : TREATMENT));
  const at = data.members.map((m) => new Date(Math.max(m.createdAt.getTime(), launch.getTime())));
  await sql`
    insert into experiment_assignments (merchant_id, experiment_id, member_id, arm, source, assigned_at)
    select ${merchantId}, ${experiment.id}, t.member_id, t.arm, 'random', t.at
    from unnest(${memberIds}::text[], ${arms}::text[], ${at}::timestamptz[]) as t(member_id, arm, at)`.execute(trx);
}
