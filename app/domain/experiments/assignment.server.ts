import { sql } from "kysely";
import type { Trx } from "~/db.server";
import { DomainError } from "~/lib/errors";
import { newId } from "~/lib/ids";
import type { ExperimentEventKind, ExperimentKind } from "~db/schema";

/**
 * Randomized holdouts, shared by every program that can be measured (issues 4, 5 and 6).
 *
 * Rules every caller relies on:
 *  - assignment is random (PostgreSQL's random(), drawn once), stored, and sticky: the first assignment of a member
 *    to an experiment wins, concurrent first assignments agree (insert … on conflict do nothing, then read), and
 *    the row can never be updated;
 *  - it is decided before anything is shown or sent: callers assign first, then check `control` before they show,
 *    send, grant or e-mail anything;
 *  - random experiments have two arms, "treatment" and "control" (the control is held out); external experiments
 *    have the arms their CSV names, one of them the control.
 */

export const TREATMENT = "treatment";
export const CONTROL = "control";

export interface Experiment {
  id: string;
  kind: ExperimentKind;
  subjectId: string | null;
  name: string;
  assignment: "random" | "external";
  holdoutBps: number;
  status: "active" | "stopped";
  createdAt: Date;
}

export interface Assignment {
  experimentId: string;
  arm: string;
  /** True when the member is held out: show, send, grant and e-mail them nothing from this experiment. */
  control: boolean;
}

interface ExperimentRow {
  id: string;
  kind: ExperimentKind;
  subject_id: string | null;
  name: string;
  assignment: "random" | "external";
  holdout_bps: number;
  status: "active" | "stopped";
  created_at: Date;
}

function toExperiment(r: ExperimentRow): Experiment {
  return {
    id: r.id,
    kind: r.kind,
    subjectId: r.subject_id,
    name: r.name,
    assignment: r.assignment,
    holdoutBps: r.holdout_bps,
    status: r.status,
    createdAt: r.created_at,
  };
}

export function validateHoldoutBps(holdoutBps: number): number {
  if (!Number.isInteger(holdoutBps) || holdoutBps < 0 || holdoutBps > 5000) {
    throw new DomainError("validation_failed", "The holdout must be a whole number of basis points from 0 to 5000 (0–50%)", {
      field: "holdout",
    });
  }
  return holdoutBps;
}

/**
 * Creates an experiment with its arms. Random experiments get "treatment" and "control"; external ones the given
 * arms (at least two, exactly one control). The (merchant, kind) of a program and the (merchant, kind, subject) of an
 * offer or gift are unique: creating it twice returns the existing one.
 */
export async function createExperiment(
  trx: Trx,
  merchantId: string,
  input: {
    kind: ExperimentKind;
    name: string;
    subjectId?: string | null;
    holdoutBps?: number;
    assignment?: "random" | "external";
    arms?: { arm: string; control: boolean }[];
    createdBy?: string | null;
  },
): Promise<Experiment> {
  const assignment = input.assignment ?? "random";
  const holdoutBps = validateHoldoutBps(input.holdoutBps ?? 1000);
  const arms =
    assignment === "random"
      ? [
          { arm: TREATMENT, control: false },
          { arm: CONTROL, control: true },
        ]
      : (input.arms ?? []);
  if (arms.length < 2 || arms.filter((a) => a.control).length !== 1 || new Set(arms.map((a) => a.arm)).size !== arms.length) {
    throw new DomainError("validation_failed", "An experiment needs at least two distinct arms, exactly one of them the control", {
      field: "arms",
    });
  }
  const existing =
    input.kind === "loyalty_program" || input.kind === "referral_program"
      ? await findProgramExperiment(trx, merchantId, input.kind)
      : input.subjectId
        ? await findSubjectExperiment(trx, merchantId, input.kind, input.subjectId)
        : null;
  if (existing) return existing;
  const id = newId("experiment");
  const row = await trx
    .insertInto("experiments")
    .values({
      merchant_id: merchantId,
      id,
      kind: input.kind,
      subject_id: input.subjectId ?? null,
      name: input.name,
      assignment,
      holdout_bps: holdoutBps,
      created_by: input.createdBy ?? null,
    })
    .onConflict((oc) => oc.doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!row) {
    // Lost a race with a concurrent creation of the same program / subject experiment.
    const again =
      input.kind === "loyalty_program" || input.kind === "referral_program"
        ? await findProgramExperiment(trx, merchantId, input.kind)
        : await findSubjectExperiment(trx, merchantId, input.kind, input.subjectId!);
    if (!again) throw new Error("experiment insert conflicted but no experiment was found");
    return again;
  }
  await trx
    .insertInto("experiment_arms")
    .values(arms.map((a) => ({ merchant_id: merchantId, experiment_id: id, arm: a.arm, is_control: a.control })))
    .execute();
  return toExperiment(row);
}

export async function getExperiment(trx: Trx, merchantId: string, experimentId: string): Promise<Experiment | null> {
  const row = await trx
    .selectFrom("experiments")
    .selectAll()
    .where("merchant_id", "=", merchantId)
    .where("id", "=", experimentId)
    .executeTakeFirst();
  return row ? toExperiment(row) : null;
}

export async function findProgramExperiment(
  trx: Trx,
  merchantId: string,
  kind: "loyalty_program" | "referral_program",
): Promise<Experiment | null> {
  const row = await trx
    .selectFrom("experiments")
    .selectAll()
    .where("merchant_id", "=", merchantId)
    .where("kind", "=", kind)
    .executeTakeFirst();
  return row ? toExperiment(row) : null;
}

export async function findSubjectExperiment(trx: Trx, merchantId: string, kind: ExperimentKind, subjectId: string): Promise<Experiment | null> {
  const row = await trx
    .selectFrom("experiments")
    .selectAll()
    .where("merchant_id", "=", merchantId)
    .where("kind", "=", kind)
    .where("subject_id", "=", subjectId)
    .executeTakeFirst();
  return row ? toExperiment(row) : null;
}

/** The member's stored arm, or null when not (yet) assigned. Never assigns. */
export async function getAssignment(trx: Trx, merchantId: string, experimentId: string, memberId: string): Promise<Assignment | null> {
  const row = await trx
    .selectFrom("experiment_assignments as a")
    .innerJoin("experiment_arms as r", (j) =>
      j.onRef("r.merchant_id", "=", "a.merchant_id").onRef("r.experiment_id", "=", "a.experiment_id").onRef("r.arm", "=", "a.arm"),
    )
    .select(["a.arm", "r.is_control"])
    .where("a.merchant_id", "=", merchantId)
    .where("a.experiment_id", "=", experimentId)
    .where("a.member_id", "=", memberId)
    .executeTakeFirst();
  return row ? { experimentId, arm: row.arm, control: row.is_control } : null;
}

/**
 * Assigns one member (sticky: an existing assignment is returned unchanged, whoever wrote it first). A stopped
 * experiment assigns nobody new: unassigned members are treated as normal (treatment) without a row.
 * External experiments never draw: an unassigned member is treated as normal too.
 */
export async function assignMember(trx: Trx, merchantId: string, experiment: Experiment, memberId: string): Promise<Assignment> {
  const existing = await getAssignment(trx, merchantId, experiment.id, memberId);
  if (existing) return existing;
  if (experiment.status !== "active" || experiment.assignment !== "random") {
    return { experimentId: experiment.id, arm: TREATMENT, control: false };
  }
  await sql`
    insert into experiment_assignments (merchant_id, experiment_id, member_id, arm, source)
    values (${merchantId}, ${experiment.id}, ${memberId},
            case when random() * 10000 < ${experiment.holdoutBps} then ${CONTROL} else ${TREATMENT} end, 'random')
    on conflict do nothing`.execute(trx);
  const row = await getAssignment(trx, merchantId, experiment.id, memberId);
  if (!row) throw new Error("assignment vanished after insert");
  return row;
}

/**
 * Assigns every member returned by `memberIds` (a SQL subquery selecting one column of member ids, already
 * scoped to the merchant) in one statement; members already assigned keep their arm. Returns how many were new.
 * For offers and gifts over a whole segment (100,000 members is one INSERT … SELECT).
 */
export async function assignMany(
  trx: Trx,
  merchantId: string,
  experiment: Experiment,
  memberIds: ReturnType<typeof sql>,
): Promise<number> {
  if (experiment.status !== "active" || experiment.assignment !== "random") return 0;
  const res = await sql`
    insert into experiment_assignments (merchant_id, experiment_id, member_id, arm, source)
    select ${merchantId}, ${experiment.id}, m.member_id,
           case when random() * 10000 < ${experiment.holdoutBps} then ${CONTROL} else ${TREATMENT} end, 'random'
    from (${memberIds}) as m(member_id)
    on conflict do nothing`.execute(trx);
  return Number(res.numAffectedRows ?? 0);
}

/**
 * Records an event for a member (eligible, seen, e-mailed, claimed, joined): first and last time and a count.
 * Callers record `seen` / `emailed` / `claimed` only for treated members, by construction.
 */
export async function recordExperimentEvent(
  trx: Trx,
  merchantId: string,
  experimentId: string,
  memberId: string,
  kind: ExperimentEventKind,
  at: Date = new Date(),
): Promise<void> {
  await sql`
    insert into experiment_events as e (merchant_id, experiment_id, member_id, kind, first_at, last_at)
    values (${merchantId}, ${experimentId}, ${memberId}, ${kind}, ${at}, ${at})
    on conflict (merchant_id, experiment_id, member_id, kind)
    do update set last_at = greatest(e.last_at, excluded.last_at), first_at = least(e.first_at, excluded.first_at), count = e.count + 1`.execute(trx);
}

/**
 * True when the member is held out of a program (loyalty or referral): a member in the control arm of that
 * program's active experiment. Assigns on first sight (enrollment), so call it where the member first meets the
 * program. No experiment configured → never held out; a stopped experiment releases its control arm into the
 * program (the comparison is over; the stored arms stay for the report).
 */
export async function isHeldOutOfProgram(
  trx: Trx,
  merchantId: string,
  kind: "loyalty_program" | "referral_program",
  memberId: string,
): Promise<boolean> {
  // One round trip on the hot path (every order and event): the experiment with this member's stored arm, if any.
  const res = await programHoldoutSql(merchantId, kind, memberId).execute(trx);
  return heldOutFromRow(trx, merchantId, memberId, res.rows[0]);
}

/** A row of `programHoldoutSql`: the program's experiment (columns prefixed `hx_`) and the member's stored arm. */
export interface ProgramHoldoutRow {
  /** Null when a caller's left join found no experiment. */
  hx_id: string | null;
  hx_kind: ExperimentKind;
  hx_subject_id: string | null;
  hx_name: string;
  hx_assignment: "random" | "external";
  hx_holdout_bps: number;
  hx_status: "active" | "stopped";
  hx_created_at: Date;
  hx_arm: string | null;
  hx_is_control: boolean | null;
}

/**
 * The query behind `isHeldOutOfProgram`, for callers that fold it into a statement of their own (the earning hot
 * path: `left join lateral (…) hx on true`): at most one row, the `ProgramHoldoutRow` columns.
 */
export function programHoldoutSql(merchantId: string, kind: "loyalty_program" | "referral_program", memberId: string) {
  return sql<ProgramHoldoutRow>`
    select e.id as hx_id, e.kind as hx_kind, e.subject_id as hx_subject_id, e.name as hx_name, e.assignment as hx_assignment,
           e.holdout_bps as hx_holdout_bps, e.status as hx_status, e.created_at as hx_created_at, a.arm as hx_arm, r.is_control as hx_is_control
    from experiments e
    left join experiment_assignments a on a.merchant_id = e.merchant_id and a.experiment_id = e.id and a.member_id = ${memberId}
    left join experiment_arms r on r.merchant_id = a.merchant_id and r.experiment_id = a.experiment_id and r.arm = a.arm
    where e.merchant_id = ${merchantId} and e.kind = ${kind}`;
}

/**
 * `isHeldOutOfProgram` from a row of `programHoldoutSql` read by the caller (an absent row, or one whose `hx_id` is
 * null from a left join: no experiment). Assigns on first sight, like `isHeldOutOfProgram`.
 */
export async function heldOutFromRow(trx: Trx, merchantId: string, memberId: string, row: ProgramHoldoutRow | undefined): Promise<boolean> {
  if (!row || row.hx_id === null || row.hx_status !== "active") return false;
  if (row.hx_arm !== null) return row.hx_is_control === true;
  const experiment = toExperiment({
    id: row.hx_id,
    kind: row.hx_kind,
    subject_id: row.hx_subject_id,
    name: row.hx_name,
    assignment: row.hx_assignment,
    holdout_bps: row.hx_holdout_bps,
    status: row.hx_status,
    created_at: row.hx_created_at,
  });
  return (await assignMember(trx, merchantId, experiment, memberId)).control;
}
