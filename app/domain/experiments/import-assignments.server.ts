import { sql } from "kysely";
import type { Trx } from "~/db.server";
import { recordAudit, type Actor } from "~/domain/audit/audit.server";
import { DomainError } from "~/lib/errors";
import { isId } from "~/lib/ids";
import type { ExperimentKind } from "~db/schema";
import { getExperiment, type Experiment } from "./assignment.server";
import type { AssignmentRow, LineError } from "./import-assignments";

/**
 * Stores externally assigned arms (rows from parseAssignmentsCsv) for an experiment, in bulk: members are resolved
 * and assignments inserted a chunk at a time with array parameters (one statement each, whatever the chunk size).
 *
 * Idempotent: assignments are sticky, so importing the same file again changes nothing (every line counts as
 * unchanged); a line that would move a member to another arm is reported, never applied.
 * Arms: an external experiment gains the arms the file names (the control must be `control`); a random
 * experiment accepts only its own two arms.
 */

export interface ImportAssignmentsResult {
  experimentId: string;
  lines: number;
  imported: number;
  unchanged: number;
  errors: LineError[];
  arms: { arm: string; control: boolean; members: number }[];
}

const CHUNK = 20_000;

/** The experiment a `--campaign` names: its own id, or the offer / surprise gift it measures. */
export async function findCampaignExperiment(trx: Trx, merchantId: string, campaign: string): Promise<Experiment> {
  if (isId("experiment", campaign)) {
    const e = await getExperiment(trx, merchantId, campaign);
    if (e) return e;
  } else {
    const row = await trx
      .selectFrom("experiments")
      .select("id")
      .where("merchant_id", "=", merchantId)
      .where("subject_id", "=", campaign)
      .where("kind", "in", ["offer", "surprise_gift"] satisfies ExperimentKind[])
      .executeTakeFirst();
    if (row) return (await getExperiment(trx, merchantId, row.id))!;
  }
  throw new DomainError("not_found", `No experiment or campaign "${campaign}"`, { field: "campaign" });
}

export async function importAssignments(
  trx: Trx,
  merchantId: string,
  experiment: Experiment,
  input: { rows: AssignmentRow[]; errors: LineError[]; control: string; actor: Actor },
): Promise<ImportAssignmentsResult> {
  const errors = [...input.errors];
  const arms = await ensureArms(trx, merchantId, experiment, input.rows, input.control);
  const known = new Set(arms.map((a) => a.arm));
  const rows = input.rows.filter((r) => {
    if (known.has(r.arm)) return true;
    errors.push({ line: r.line, message: `arm "${r.arm}" is not an arm of this experiment (${[...known].join(", ")})` });
    return false;
  });

  let imported = 0;
  let unchanged = 0;
  const memberLines = new Map<string, number>();
  for (let i = 0; i < rows.length; i += CHUNK) {
    const chunk = rows.slice(i, i + CHUNK);
    const resolved = await sql<{ line: number; member_id: string | null; arm: string; at: Date | null; existing_arm: string | null }>`
      with input as (
        select * from unnest(${chunk.map((r) => r.line)}::int[], ${chunk.map((r) => r.memberId)}::text[], ${chunk.map((r) => r.externalId)}::text[],
                             ${chunk.map((r) => r.email)}::text[], ${chunk.map((r) => r.arm)}::text[], ${chunk.map((r) => r.assignedAt)}::timestamptz[])
          as t(line, mid, ext, email, arm, at)
      ),
      resolved as (
        select i.line, i.arm, i.at, coalesce(m1.id, m2.id, m3.id) as member_id
        from input i
        left join members m1 on m1.merchant_id = ${merchantId} and m1.id = i.mid
        left join members m2 on m2.merchant_id = ${merchantId} and m2.external_id = i.ext
        left join members m3 on m3.merchant_id = ${merchantId} and m3.email = i.email::citext
      )
      select r.line, r.member_id, r.arm, r.at, ea.arm as existing_arm
      from resolved r
      left join experiment_assignments ea
        on ea.merchant_id = ${merchantId} and ea.experiment_id = ${experiment.id} and ea.member_id = r.member_id
      order by r.line`.execute(trx);

    const insert: { member: string; arm: string; at: Date | null }[] = [];
    for (const r of resolved.rows) {
      if (!r.member_id) {
        errors.push({ line: r.line, message: "no member with this customer id or e-mail" });
        continue;
      }
      const other = memberLines.get(r.member_id);
      if (other !== undefined) {
        errors.push({ line: r.line, message: `the same member is on line ${other}` });
        continue;
      }
      memberLines.set(r.member_id, r.line);
      if (r.existing_arm === null) insert.push({ member: r.member_id, arm: r.arm, at: r.at });
      else if (r.existing_arm === r.arm) unchanged++;
      else errors.push({ line: r.line, message: `already in arm "${r.existing_arm}"; assignments are sticky and are not moved` });
    }
    if (insert.length) {
      const res = await sql`
        insert into experiment_assignments (merchant_id, experiment_id, member_id, arm, source, assigned_at)
        select ${merchantId}, ${experiment.id}, t.member_id, t.arm, 'external', coalesce(t.at, now())
        from unnest(${insert.map((x) => x.member)}::text[], ${insert.map((x) => x.arm)}::text[], ${insert.map((x) => x.at)}::timestamptz[])
          as t(member_id, arm, at)
        on conflict do nothing`.execute(trx);
      const n = Number(res.numAffectedRows ?? 0);
      imported += n;
      // A concurrent import assigned some of these first: they are that import's, not ours.
      unchanged += insert.length - n;
    }
  }
  errors.sort((a, b) => a.line - b.line);

  const counts = await trx
    .selectFrom("experiment_assignments")
    .select(["arm", sql<string>`count(*)`.as("n")])
    .where("merchant_id", "=", merchantId)
    .where("experiment_id", "=", experiment.id)
    .groupBy("arm")
    .execute();
  const byArm = new Map(counts.map((c) => [c.arm, Number(c.n)]));
  await recordAudit(trx, merchantId, input.actor, "experiment.assignments_imported", { type: "experiment", id: experiment.id }, {
    after: { lines: input.rows.length + input.errors.length, imported, unchanged, errors: errors.length },
  });
  return {
    experimentId: experiment.id,
    lines: input.rows.length + input.errors.length,
    imported,
    unchanged,
    errors,
    arms: arms.map((a) => ({ ...a, members: byArm.get(a.arm) ?? 0 })),
  };
}

async function ensureArms(trx: Trx, merchantId: string, experiment: Experiment, rows: AssignmentRow[], control: string) {
  const existing = await trx
    .selectFrom("experiment_arms")
    .select(["arm", "is_control"])
    .where("merchant_id", "=", merchantId)
    .where("experiment_id", "=", experiment.id)
    .execute();
  const currentControl = existing.find((a) => a.is_control)?.arm;
  if (currentControl && currentControl !== control) {
    throw new DomainError("validation_failed", `The control arm of this experiment is "${currentControl}", not "${control}" (use --control "${currentControl}")`, {
      field: "control",
    });
  }
  if (experiment.assignment !== "external") return existing.map((a) => ({ arm: a.arm, control: a.is_control }));
  const have = new Set(existing.map((a) => a.arm));
  const add = [...new Set([control, ...rows.map((r) => r.arm)])].filter((a) => !have.has(a));
  if (add.length) {
    await trx
      .insertInto("experiment_arms")
      .values(add.map((arm) => ({ merchant_id: merchantId, experiment_id: experiment.id, arm, is_control: arm === control && !currentControl })))
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
  return [...existing.map((a) => ({ arm: a.arm, control: a.is_control })), ...add.map((arm) => ({ arm, control: arm === control && !currentControl }))];
}
