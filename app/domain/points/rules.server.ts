import { z } from "zod";
import { now } from "~/lib/clock.server";
import type { Trx } from "~/db.server";
import { recordAudit, type Actor } from "~/domain/audit/audit.server";
import { DEFAULT_EARNING_RULES, EarningRulesSchema, type EarningRules } from "./rules";

/**
 * The merchant's earning rules, stored as validated JSON (one row per merchant). A merchant that never saved any
 * gets the defaults. A stored document that no longer validates is an error, not something to guess around: the
 * ledger would otherwise award points by rules nobody chose.
 */
export async function getEarningRules(trx: Trx, merchantId: string): Promise<EarningRules> {
  const row = await trx.selectFrom("earning_rules").select("rules").where("merchant_id", "=", merchantId).executeTakeFirst();
  return parseStoredRules(merchantId, row?.rules ?? null);
}

/** The stored JSON (null: never saved) as rules; for callers that read the row in a larger query. */
export function parseStoredRules(merchantId: string, stored: unknown): EarningRules {
  if (stored === null || stored === undefined) return structuredClone(DEFAULT_EARNING_RULES);
  const parsed = EarningRulesSchema.safeParse(stored);
  if (!parsed.success) {
    throw new Error(`Stored earning rules of merchant ${merchantId} are invalid:\n${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

/**
 * Saves the rules (validated again here: the domain never stores what the schema refuses) and audits the change
 * with the whole document before and after. The row lock serialises two admins saving at once, so each audit
 * entry's "before" is what the other actually wrote.
 */
export async function saveEarningRules(
  trx: Trx,
  merchantId: string,
  rules: EarningRules,
  actor: Actor,
): Promise<{ rules: EarningRules; changed: boolean }> {
  const after = EarningRulesSchema.parse(rules);
  const existing = await trx.selectFrom("earning_rules").select("rules").where("merchant_id", "=", merchantId).forUpdate().executeTakeFirst();
  const before = existing ? EarningRulesSchema.safeParse(existing.rules) : null;
  const beforeRules = before?.success ? before.data : existing ? existing.rules : null;
  if (before?.success && JSON.stringify(before.data) === JSON.stringify(after)) return { rules: after, changed: false };

  const json = JSON.stringify(after);
  await trx
    .insertInto("earning_rules")
    .values({ merchant_id: merchantId, rules: json, updated_at: now(), updated_by: actor.id })
    .onConflict((oc) => oc.column("merchant_id").doUpdateSet({ rules: json, updated_at: now(), updated_by: actor.id }))
    .execute();
  await recordAudit(trx, merchantId, actor, "earning_rules.updated", { type: "earning_rules", id: merchantId }, {
    before: beforeRules ?? DEFAULT_EARNING_RULES,
    after,
  });
  return { rules: after, changed: true };
}
