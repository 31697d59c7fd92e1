import { z } from "zod";
import type { Actor } from "~/domain/audit/audit.server";
import type { Trx } from "~/db.server";
import {
  cltvModelSettingsSchema,
  cltvSettingsSchema,
  getCltvModelSettings,
  getCltvSettings,
  getPointsCostBasis,
  POINTS_COST_BASES,
  saveCltvModelSettings,
  saveCltvSettings,
  savePointsCostBasis,
} from "./settings.server";

/**
 * Every CLTV setting in one object (the settings API, GET/PATCH /api/v1/settings/cltv): the economics, how the models
 * are fitted and how points-funded rewards are costed. Built from settings.server.ts's schemas, so a field added there
 * appears here (and in the API, which renames the keys) without another edit. Each part is saved, and audited, by its
 * own function in settings.server.ts, only when it changed.
 */
export const allCltvSettingsSchema = cltvSettingsSchema.extend(cltvModelSettingsSchema.shape).extend({ pointsCostBasis: z.enum(POINTS_COST_BASES) });
export type AllCltvSettings = z.infer<typeof allCltvSettingsSchema>;

const ECONOMICS = Object.keys(cltvSettingsSchema.shape) as (keyof z.infer<typeof cltvSettingsSchema>)[];
const MODEL = Object.keys(cltvModelSettingsSchema.shape) as (keyof z.infer<typeof cltvModelSettingsSchema>)[];

export async function getAllCltvSettings(trx: Trx, merchantId: string): Promise<AllCltvSettings> {
  const [economics, model, pointsCostBasis] = await Promise.all([
    getCltvSettings(trx, merchantId),
    getCltvModelSettings(trx, merchantId),
    getPointsCostBasis(trx, merchantId),
  ]);
  return { ...economics, ...model, pointsCostBasis };
}

/** Changes the given settings, keeps the others; the whole result is validated before anything is written. */
export async function updateCltvSettings(trx: Trx, merchantId: string, actor: Actor, patch: Partial<AllCltvSettings>): Promise<AllCltvSettings> {
  const before = await getAllCltvSettings(trx, merchantId);
  const next = allCltvSettingsSchema.parse({ ...before, ...patch });
  const changed = (keys: readonly (keyof AllCltvSettings)[]) => keys.some((k) => next[k] !== before[k]);
  if (changed(ECONOMICS)) await saveCltvSettings(trx, merchantId, actor, cltvSettingsSchema.parse(next));
  if (changed(MODEL)) await saveCltvModelSettings(trx, merchantId, actor, cltvModelSettingsSchema.parse(next));
  if (next.pointsCostBasis !== before.pointsCostBasis) await savePointsCostBasis(trx, merchantId, actor, next.pointsCostBasis);
  return next;
}
