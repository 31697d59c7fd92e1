import { sql } from "kysely";
import { z } from "zod";
import type { Trx } from "~/db.server";
import { recordAudit, type Actor } from "~/domain/audit/audit.server";
import { DomainError } from "~/lib/errors";
import { isId } from "~/lib/ids";
import { createExperiment, findProgramExperiment, validateHoldoutBps, type Experiment } from "./assignment.server";
import { ARM_PATTERN } from "./import-assignments";

/**
 * Staff settings for experiments: the loyalty and referral programs' holdout share, custom experiments, stopping.
 * Assignments stay as they are whatever changes here (sticky): a new share applies to members assigned from now on;
 * stopping an experiment assigns nobody new, and members without an arm are then treated normally.
 */

const percent = z.coerce
  .number({ error: "Enter a percentage" })
  .min(0, "The holdout must be between 0% and 50%")
  .max(50, "The holdout must be between 0% and 50%")
  .refine((v) => Number.isInteger(v * 100), "At most two decimals");

export const ProgramHoldoutSchema = z.object({
  intent: z.literal("program-holdout"),
  kind: z.enum(["loyalty_program", "referral_program"]),
  holdoutPercent: percent,
});

export const CustomExperimentSchema = z
  .object({
    intent: z.literal("custom"),
    name: z.string().trim().min(1, "Name is required").max(200, "At most 200 characters"),
    assignment: z.enum(["random", "external"]),
    holdoutPercent: percent.optional(),
    // External experiments: comma-separated arm names, and which one is the control.
    arms: z.string().trim().max(2000).optional(),
    control: z.string().trim().max(60).optional(),
  })
  .superRefine((v, ctx) => {
    if (v.assignment === "random" && v.holdoutPercent === undefined) ctx.addIssue({ code: "custom", path: ["holdoutPercent"], message: "Enter the holdout share" });
    if (v.assignment === "external") {
      const arms = splitArms(v.arms ?? "");
      if (arms.length < 2) ctx.addIssue({ code: "custom", path: ["arms"], message: "Name at least two arms, separated by commas" });
      else if (arms.some((a) => !ARM_PATTERN.test(a))) ctx.addIssue({ code: "custom", path: ["arms"], message: "Arm names are 1–60 letters, digits, spaces, _ . or -" });
      else if (new Set(arms).size !== arms.length) ctx.addIssue({ code: "custom", path: ["arms"], message: "Arm names must differ" });
      if (!v.control || !arms.includes(v.control)) ctx.addIssue({ code: "custom", path: ["control"], message: "The control must be one of the arms" });
    }
  });

export const StopExperimentSchema = z.object({ intent: z.literal("stop"), experimentId: z.string().max(64) });

export const ExperimentActionSchema = z.discriminatedUnion("intent", [ProgramHoldoutSchema, CustomExperimentSchema, StopExperimentSchema]);

export function splitArms(raw: string): string[] {
  return raw
    .split(",")
    .map((a) => a.trim())
    .filter(Boolean);
}

const toBps = (percentValue: number) => validateHoldoutBps(Math.round(percentValue * 100));

/** Creates the program's experiment, or changes its share (and reactivates it). */
export async function setProgramHoldout(trx: Trx, merchantId: string, kind: "loyalty_program" | "referral_program", holdoutPercent: number, actor: Actor): Promise<Experiment> {
  const bps = toBps(holdoutPercent);
  const existing = await findProgramExperiment(trx, merchantId, kind);
  if (!existing) {
    const name = kind === "loyalty_program" ? "Loyalty program holdout" : "Referral program holdout";
    const e = await createExperiment(trx, merchantId, { kind, name, holdoutBps: bps, createdBy: actor.id ?? null });
    await recordAudit(trx, merchantId, actor, "experiment.created", { type: "experiment", id: e.id }, { after: { kind, holdoutBps: bps } });
    return e;
  }
  await trx
    .updateTable("experiments")
    .set({ holdout_bps: bps, status: "active", stopped_at: null })
    .where("merchant_id", "=", merchantId)
    .where("id", "=", existing.id)
    .execute();
  await recordAudit(trx, merchantId, actor, "experiment.holdout_changed", { type: "experiment", id: existing.id }, {
    before: { holdoutBps: existing.holdoutBps, status: existing.status },
    after: { holdoutBps: bps, status: "active" },
  });
  return { ...existing, holdoutBps: bps, status: "active" };
}

export async function createCustomExperiment(trx: Trx, merchantId: string, input: z.output<typeof CustomExperimentSchema>, actor: Actor): Promise<Experiment> {
  const e = await createExperiment(trx, merchantId, {
    kind: "custom",
    name: input.name,
    assignment: input.assignment,
    holdoutBps: input.assignment === "random" ? toBps(input.holdoutPercent ?? 10) : 0,
    arms: input.assignment === "external" ? splitArms(input.arms ?? "").map((arm) => ({ arm, control: arm === input.control })) : undefined,
    createdBy: actor.id ?? null,
  });
  await recordAudit(trx, merchantId, actor, "experiment.created", { type: "experiment", id: e.id }, { after: { kind: "custom", name: input.name, assignment: input.assignment } });
  return e;
}

export async function stopExperiment(trx: Trx, merchantId: string, experimentId: string, actor: Actor): Promise<void> {
  if (!isId("experiment", experimentId)) throw new DomainError("not_found", "Experiment not found");
  const res = await trx
    .updateTable("experiments")
    .set({ status: "stopped", stopped_at: sql<Date>`now()` })
    .where("merchant_id", "=", merchantId)
    .where("id", "=", experimentId)
    .where("status", "=", "active")
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0) {
    const exists = await trx.selectFrom("experiments").select("id").where("merchant_id", "=", merchantId).where("id", "=", experimentId).executeTakeFirst();
    if (!exists) throw new DomainError("not_found", "Experiment not found");
    return;
  }
  await recordAudit(trx, merchantId, actor, "experiment.stopped", { type: "experiment", id: experimentId });
}
