import { sql } from "kysely";
import type { Trx } from "~/db.server";
import { recordAudit, type Actor } from "~/domain/audit/audit.server";
import { enqueueEmail } from "~/domain/email/outbox.server";
import {
  heldOutFromRow,
  isHeldOutOfProgram,
  programHoldoutSql,
  type ProgramHoldoutRow,
} from "~/domain/experiments/assignment.server";
import { appUrl } from "~/lib/env.server";
import { DomainError } from "~/lib/errors";
import { newId } from "~/lib/ids";
import type { TierChangeReason } from "~db/schema";
import type { MemberTierView, TierHistoryEntry } from "./types";
import {
  AT_RISK_NOTICE_DAYS,
  DEFAULT_SETTINGS,
  decide,
  progressToNext,
  qualificationWindows,
  type Decision,
  type Figures,
  type MemberTierState,
  type TierDef,
  type TierSettings,
  type Windows,
} from "./model";

/**
 * Tiers on the database: the merchant's ladder, each member's state, evaluation (called by the order, event and
 * refund paths, the nightly job and the re-evaluation after a definition change), pins and history.
 *
 * A member's row in member_tiers is locked (FOR UPDATE) while it is evaluated, so concurrent evaluations of one
 * member (an order and the nightly job) serialise and the second one sees the first one's result: evaluation is
 * idempotent, history and e-mails are written only for real changes.
 */

export interface TierProgram {
  settings: TierSettings;
  /** Ascending by rank. */
  tiers: TierDef[];
  timezone: string;
  currency: string;
  slug: string;
  merchantName: string;
}

type TierRow = {
  id: string;
  name: string;
  rank: number;
  threshold: number;
  earning_percent: number;
  exclusive_access: boolean;
  birthday_bonus: number;
  perks: string;
};
export const toTierDef = (r: TierRow): TierDef => ({
  id: r.id,
  name: r.name,
  rank: r.rank,
  threshold: Number(r.threshold),
  earningPercent: r.earning_percent,
  exclusiveAccess: r.exclusive_access,
  birthdayBonus: r.birthday_bonus,
  perks: r.perks,
});

export async function loadTierProgram(trx: Trx, merchantId: string): Promise<TierProgram> {
  // One round trip (it runs on every qualifying activity of a merchant with tiers): the merchant, its settings and
  // its ladder, the tiers as JSON in rank order.
  const res = await sql<{
    timezone: string;
    currency: string;
    slug: string;
    name: string;
    has_settings: boolean;
    basis: TierSettings["basis"] | null;
    window: TierSettings["window"] | null;
    grace_days: number | null;
    downgrade: TierSettings["downgrade"] | null;
    tiers: TierRow[];
  }>`
    select m.timezone, m.currency, m.slug, m.name,
      s.merchant_id is not null as has_settings, s.basis, s."window", s.grace_days, s.downgrade,
      coalesce((select json_agg(json_build_object('id', t.id, 'name', t.name, 'rank', t.rank, 'threshold', t.threshold,
                  'earning_percent', t.earning_percent, 'exclusive_access', t.exclusive_access, 'birthday_bonus', t.birthday_bonus,
                  'perks', t.perks) order by t.rank)
                from tiers t where t.merchant_id = m.id), '[]'::json) as tiers
    from merchants m
    left join tier_settings s on s.merchant_id = m.id
    where m.id = ${merchantId}`.execute(trx);
  const row = res.rows[0];
  if (!row) throw new Error(`loadTierProgram: no merchant ${merchantId}`);
  return {
    settings: row.has_settings
      ? { basis: row.basis!, window: row.window!, graceDays: row.grace_days!, downgrade: row.downgrade! }
      : DEFAULT_SETTINGS,
    tiers: row.tiers.map(toTierDef),
    timezone: row.timezone,
    currency: row.currency.trim(),
    slug: row.slug,
    merchantName: row.name,
  };
}

// Members in the control arm of the loyalty program's running experiment hold no tier, whatever their stored row says.
const notHeldOut = (merchantId: string) => sql<boolean>`not exists (
  select 1 from experiments e
  join experiment_assignments a on a.merchant_id = e.merchant_id and a.experiment_id = e.id
  join experiment_arms r on r.merchant_id = a.merchant_id and r.experiment_id = a.experiment_id and r.arm = a.arm
  where e.merchant_id = ${merchantId} and e.kind = 'loyalty_program' and e.status = 'active' and a.member_id = mt.member_id and r.is_control)`;

/**
 * The member's tier now, or null (no tier, or held out of the loyalty program). Stable signature: the rewards,
 * offers and segment helpers call it for tier-restricted rewards and segment rules.
 */
export async function getMemberTier(trx: Trx, merchantId: string, memberId: string): Promise<{ tierId: string; name: string; rank: number } | null> {
  const row = await memberTierRow(trx, merchantId, memberId);
  return row ? { tierId: row.id, name: row.name, rank: row.rank } : null;
}

/** The member's tier with its benefits (for the earning multiplier and the birthday bonus). */
export async function getMemberTierBenefits(trx: Trx, merchantId: string, memberId: string): Promise<TierDef | null> {
  const row = await memberTierRow(trx, merchantId, memberId);
  return row ? toTierDef(row) : null;
}

async function memberTierRow(trx: Trx, merchantId: string, memberId: string) {
  return trx
    .selectFrom("member_tiers as mt")
    .innerJoin("tiers as t", (j) => j.onRef("t.merchant_id", "=", "mt.merchant_id").onRef("t.id", "=", "mt.tier_id"))
    .select(["t.id", "t.name", "t.rank", "t.threshold", "t.earning_percent", "t.exclusive_access", "t.birthday_bonus", "t.perks"])
    .where("mt.merchant_id", "=", merchantId)
    .where("mt.member_id", "=", memberId)
    .where(notHeldOut(merchantId))
    .executeTakeFirst();
}

/**
 * The member's tier earning percent (100 without a tier, or when held out) as a scalar SQL expression: the same
 * figure as `getMemberTierBenefits(…)?.earningPercent ?? 100`, for the earning hot path's one context statement.
 * `holdoutCheckedByCaller`: leave the holdout out of the expression, for a caller that reads the member's loyalty
 * holdout arm in the same statement and earns nothing for a held-out member (saves planning a second holdout join).
 */
export function memberTierEarningPercentSql(merchantId: string, memberId: string, opts: { holdoutCheckedByCaller?: boolean } = {}) {
  return sql<number>`coalesce((
    select t.earning_percent from member_tiers mt
    join tiers t on t.merchant_id = mt.merchant_id and t.id = mt.tier_id
    where mt.merchant_id = ${merchantId} and mt.member_id = ${memberId}${opts.holdoutCheckedByCaller ? sql`` : sql` and ${notHeldOut(merchantId)}`}), 100)`;
}

/**
 * Whether re-evaluating the member's tier can change anything: the merchant has tiers, or the member still holds a
 * tier or a pin (tiers deleted since). False on the hot path of merchants without tiers.
 */
export function tiersRelevantSql(merchantId: string, memberId: string) {
  return sql<boolean>`(exists (select 1 from tiers where merchant_id = ${merchantId})
    or exists (select 1 from member_tiers where merchant_id = ${merchantId} and member_id = ${memberId}
               and (tier_id is not null or pin_tier_id is not null)))`;
}

/**
 * The member's qualifying figures in the windows. Points: earn journals (never adjustments, never the spendable
 * balance), net of what refunds and disputes reversed, dated when they were earned — read from the earn lots,
 * which keep the reversed share of each earn journal in full (including parts already spent or expired).
 * Spend: orders in the merchant's currency, net of refunds, not counting withdrawn disputes.
 */
export async function memberFigures(trx: Trx, program: TierProgram, merchantId: string, memberId: string, windows: Windows): Promise<Figures> {
  const cur = windows.current;
  const prev = windows.previous ?? { from: new Date(0), to: new Date(0) };
  const inSpan = (col: ReturnType<typeof sql>, s: { from: Date | null; to: Date }) =>
    s.from ? sql`${col} >= ${s.from} and ${col} < ${s.to}` : sql`${col} < ${s.to}`;
  const r =
    program.settings.basis === "points"
      ? await sql<{ cur: string; prev: string }>`
          select coalesce(sum(l.points - l.reversed) filter (where ${inSpan(sql`l.earned_at`, cur)}), 0) as cur,
                 coalesce(sum(l.points - l.reversed) filter (where ${inSpan(sql`l.earned_at`, prev)}), 0) as prev
          from point_lots l
          join ledger_journals j on j.merchant_id = l.merchant_id and j.id = l.journal_id and j.kind = 'earn'
          where l.merchant_id = ${merchantId} and l.member_id = ${memberId}`.execute(trx)
      : await sql<{ cur: string; prev: string }>`
          select coalesce(sum(o.amount_minor - o.refunded_minor) filter (where ${inSpan(sql`o.occurred_at`, cur)}), 0) as cur,
                 coalesce(sum(o.amount_minor - o.refunded_minor) filter (where ${inSpan(sql`o.occurred_at`, prev)}), 0) as prev
          from orders o
          where o.merchant_id = ${merchantId} and o.member_id = ${memberId}
            and o.currency = ${program.currency} and o.dispute_status <> 'withdrawn'`.execute(trx);
  return { current: Number(r.rows[0]!.cur), previous: Number(r.rows[0]!.prev) };
}

type StateRow = {
  tier_id: string | null;
  earned_tier_id: string | null;
  valid_until: Date | null;
  pin_tier_id: string | null;
  pin_until: Date | null;
  pin_reason: string | null;
};
const toState = (r: StateRow): MemberTierState => ({
  tierId: r.tier_id,
  earnedTierId: r.earned_tier_id,
  validUntil: r.valid_until,
  pinTierId: r.pin_tier_id,
  pinUntil: r.pin_until,
});

async function lockState(trx: Trx, merchantId: string, memberId: string): Promise<StateRow | undefined> {
  return trx
    .selectFrom("member_tiers")
    .select(["tier_id", "earned_tier_id", "valid_until", "pin_tier_id", "pin_until", "pin_reason"])
    .where("merchant_id", "=", merchantId)
    .where("member_id", "=", memberId)
    .forUpdate()
    .executeTakeFirst();
}

async function lockOrCreateState(trx: Trx, merchantId: string, memberId: string, at: Date): Promise<StateRow> {
  await trx
    .insertInto("member_tiers")
    .values({ merchant_id: merchantId, member_id: memberId, evaluated_at: at, updated_at: at })
    .onConflict((oc) => oc.columns(["merchant_id", "member_id"]).doNothing())
    .execute();
  return (await lockState(trx, merchantId, memberId))!;
}

export interface EvaluateOptions {
  /** History reason for changes this evaluation makes (a definition change re-evaluates everyone). */
  cause?: "definition_change";
  /** Send the tier e-mails (default true; the demo seed turns them off). */
  notify?: boolean;
  actor?: Actor;
  program?: TierProgram;
}

export interface EvaluateResult {
  changed: boolean;
  fromTierId: string | null;
  tierId: string | null;
  atRisk: Decision["atRisk"];
  emails: number;
}

const unchanged = (tierId: string | null): EvaluateResult => ({ changed: false, fromTierId: tierId, tierId, atRisk: null, emails: 0 });

/**
 * Re-evaluates one member's tier at `at`: upgrades at once, downgrades at the end of the period plus grace, ends
 * expired pins, writes history and the e-mails. Safe to call any number of times (nothing changes the second time).
 */
export async function reevaluateMemberTier(trx: Trx, merchantId: string, memberId: string, at: Date, opts: EvaluateOptions = {}): Promise<EvaluateResult> {
  const program = opts.program ?? (await loadTierProgram(trx, merchantId));
  let row = await lockState(trx, merchantId, memberId);
  if (program.tiers.length === 0 && !row?.tier_id && !row?.pin_tier_id) return unchanged(null);
  // The member with their loyalty holdout arm in one round trip (assigned on first sight only when tiers exist).
  const memberRes = await sql<MemberContact & ProgramHoldoutRow>`
    select mem.email, mem.name, mem.status, hx.*
    from members mem
    left join lateral (${programHoldoutSql(merchantId, "loyalty_program", memberId)}) hx on true
    where mem.merchant_id = ${merchantId} and mem.id = ${memberId}`.execute(trx);
  const member = memberRes.rows[0];
  if (!member) throw new DomainError("not_found", "Member not found", { field: "member_id" });
  const heldOut = member.status === "deleted" || (program.tiers.length > 0 && (await heldOutFromRow(trx, merchantId, memberId, member)));

  let decision: Decision;
  if (heldOut) {
    decision = { earnedTierId: null, validUntil: null, tierId: null, pinTierId: null, pinUntil: null, pinEnded: !!row?.pin_tier_id, atRisk: null };
  } else {
    const windows = qualificationWindows(program.settings.window, at, program.timezone);
    const figures = await memberFigures(trx, program, merchantId, memberId, windows);
    const decideFrom = (state: StateRow | undefined) =>
      decide({ tiers: program.tiers, settings: program.settings, at, timezone: program.timezone, figures, state: state ? toState(state) : null });
    decision = decideFrom(row);
    if (!row) {
      if (!decision.tierId && !decision.earnedTierId) return unchanged(null);
      row = await lockOrCreateState(trx, merchantId, memberId, at);
      decision = decideFrom(row);
    }
  }
  if (!row) return unchanged(null);

  const from = row.tier_id;
  await trx
    .updateTable("member_tiers")
    .set({
      tier_id: decision.tierId,
      earned_tier_id: decision.earnedTierId,
      valid_until: decision.validUntil,
      pin_tier_id: decision.pinTierId,
      pin_until: decision.pinUntil,
      ...(decision.pinTierId ? {} : { pin_reason: null, pinned_by: null }),
      ...(decision.tierId !== from ? { since: at } : {}),
      evaluated_at: at,
      updated_at: at,
    })
    .where("merchant_id", "=", merchantId)
    .where("member_id", "=", memberId)
    .execute();

  const rankOf = (id: string | null) => program.tiers.find((t) => t.id === id)?.rank ?? 0;
  const changed = decision.tierId !== from;
  let emails = 0;
  if (changed || decision.pinEnded) {
    const reason: TierChangeReason = decision.pinEnded
      ? "unpin"
      : opts.cause ?? (rankOf(decision.tierId) > rankOf(from) ? "upgrade" : "downgrade");
    const historyId = await appendHistory(trx, merchantId, memberId, program, {
      from,
      to: decision.tierId,
      reason,
      note: heldOut ? "Held out of the loyalty program" : decision.pinEnded ? "Pin ended" : null,
      actor: opts.actor ?? { type: "system", id: "tiers" },
      at,
    });
    // Not for a definition change: re-tiering everyone is the merchant's decision to announce, not a member's milestone.
    if (opts.notify !== false && opts.cause !== "definition_change" && !heldOut && decision.tierId && rankOf(decision.tierId) > rankOf(from)) {
      emails += await sendReached(trx, merchantId, memberId, member, program, decision.tierId, historyId);
    }
  }
  if (opts.notify !== false && decision.atRisk && at.getTime() >= decision.atRisk.downgradeAt.getTime() - AT_RISK_NOTICE_DAYS * 86_400_000) {
    emails += await sendAtRisk(trx, merchantId, memberId, member, program, decision, at);
  }
  return { changed, fromTierId: from, tierId: decision.tierId, atRisk: decision.atRisk, emails };
}

async function appendHistory(
  trx: Trx,
  merchantId: string,
  memberId: string,
  program: TierProgram,
  e: { from: string | null; to: string | null; reason: TierChangeReason; note: string | null; actor: Actor; at: Date },
): Promise<string> {
  const name = (id: string | null) => (id ? (program.tiers.find((t) => t.id === id)?.name ?? null) : null);
  const id = newId("tierHistory");
  await trx
    .insertInto("tier_history")
    .values({
      merchant_id: merchantId,
      id,
      member_id: memberId,
      from_tier_id: e.from,
      from_name: name(e.from),
      to_tier_id: e.to,
      to_name: name(e.to),
      reason: e.reason,
      note: e.note?.slice(0, 500) ?? null,
      actor_type: e.actor.type,
      actor_id: e.actor.id,
      at: e.at,
    })
    .execute();
  return id;
}

const portalTierUrl = (slug: string) => `${appUrl()}/p/${slug}/tier`;

type MemberContact = { email: string; name: string | null; status: string };

async function sendReached(trx: Trx, merchantId: string, memberId: string, member: MemberContact, program: TierProgram, tierId: string, key: string) {
  const tier = program.tiers.find((t) => t.id === tierId)!;
  const emailId = await enqueueEmail(trx, merchantId, {
    template: "tier-reached",
    to: member.email,
    props: {
      memberName: member.name,
      merchantName: program.merchantName,
      tierName: tier.name,
      perks: tier.perks,
      earningPercent: tier.earningPercent,
      birthdayBonus: tier.birthdayBonus,
      portalUrl: portalTierUrl(program.slug),
    },
  });
  await trx.insertInto("tier_notifications").values({ merchant_id: merchantId, member_id: memberId, kind: "reached", dedupe_key: key, email_id: emailId }).execute();
  return 1;
}

/** Once per member and period (the kept-until date identifies it), however many evaluations see the risk. */
async function sendAtRisk(trx: Trx, merchantId: string, memberId: string, member: MemberContact, program: TierProgram, decision: Decision, at: Date) {
  const risk = decision.atRisk!;
  const already = await trx
    .selectFrom("tier_notifications")
    .select("email_id")
    .where("merchant_id", "=", merchantId)
    .where("member_id", "=", memberId)
    .where("kind", "=", "at_risk")
    .where("dedupe_key", "=", risk.periodKey)
    .executeTakeFirst();
  if (already) return 0;
  const tier = program.tiers.find((t) => t.id === decision.earnedTierId);
  if (!tier) return 0;
  const windows = qualificationWindows(program.settings.window, at, program.timezone);
  const figures = await memberFigures(trx, program, merchantId, memberId, windows);
  const emailId = await enqueueEmail(trx, merchantId, {
    template: "tier-at-risk",
    to: member.email,
    props: {
      memberName: member.name,
      merchantName: program.merchantName,
      tierName: tier.name,
      toTierName: program.tiers.find((t) => t.id === risk.toTierId)?.name ?? null,
      downgradeOn: localDate(risk.downgradeAt, program.timezone),
      missing: formatFigure(program, Math.max(0, tier.threshold - figures.current)),
      basis: program.settings.basis,
      portalUrl: portalTierUrl(program.slug),
    },
  });
  await trx
    .insertInto("tier_notifications")
    .values({ merchant_id: merchantId, member_id: memberId, kind: "at_risk", dedupe_key: risk.periodKey, email_id: emailId })
    .onConflict((oc) => oc.doNothing())
    .execute();
  return 1;
}

export function localDate(at: Date, timezone: string): string {
  return new Intl.DateTimeFormat("en-US", { timeZone: timezone, day: "numeric", month: "short", year: "numeric" }).format(at);
}

/** "$38.00" for spend, "1,200 points" for points. */
export function formatFigure(program: Pick<TierProgram, "settings" | "currency">, value: number): string {
  if (program.settings.basis === "points") return `${value.toLocaleString("en-US")} ${value === 1 ? "point" : "points"}`;
  return new Intl.NumberFormat("en-US", { style: "currency", currency: program.currency }).format(value / 10 ** currencyDigits(program.currency));
}

function currencyDigits(currency: string): number {
  return new Intl.NumberFormat("en-US", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

// ---- pins ------------------------------------------------------------------------------------------------------

/**
 * Pins a member to a tier until a date (a floor: they keep at least that tier, and may still rise above it).
 * Audited and written to the history with the reason.
 */
export async function pinMemberTier(
  trx: Trx,
  merchantId: string,
  memberId: string,
  input: { tierId: string; until: Date; reason: string },
  actor: Actor,
  at: Date,
): Promise<EvaluateResult> {
  const member = await trx.selectFrom("members").select("status").where("merchant_id", "=", merchantId).where("id", "=", memberId).executeTakeFirst();
  if (!member || member.status === "deleted") throw new DomainError("not_found", "Member not found");
  const program = await loadTierProgram(trx, merchantId);
  const tier = program.tiers.find((t) => t.id === input.tierId);
  if (!tier) throw new DomainError("validation_failed", "Choose one of the program's tiers", { field: "tierId" });
  if (!(input.until.getTime() > at.getTime())) throw new DomainError("validation_failed", "The pin must end in the future", { field: "until" });
  const reason = input.reason.trim();
  if (reason.length < 1 || reason.length > 500) throw new DomainError("validation_failed", "Say why (up to 500 characters)", { field: "reason" });
  if (await isHeldOutOfProgram(trx, merchantId, "loyalty_program", memberId)) {
    throw new DomainError("not_eligible", "This member is held out of the loyalty program and cannot hold a tier", { field: "tierId" });
  }
  const before = await lockOrCreateState(trx, merchantId, memberId, at);
  await trx
    .updateTable("member_tiers")
    .set({ pin_tier_id: tier.id, pin_until: input.until, pin_reason: reason, pinned_by: actor.id, updated_at: at })
    .where("merchant_id", "=", merchantId)
    .where("member_id", "=", memberId)
    .execute();
  const result = await reevaluateLocked(trx, merchantId, memberId, at, program, before.tier_id, "pin", reason, actor);
  await recordAudit(trx, merchantId, actor, "tier.pin", { type: "member", id: memberId }, {
    before: { tierId: before.tier_id, pinTierId: before.pin_tier_id, pinUntil: before.pin_until },
    after: { tierId: result.tierId, pinTierId: tier.id, pinUntil: input.until.toISOString(), reason },
  });
  return result;
}

/** Ends a pin now; the member falls back to the tier they earned (same rules as any pin end). */
export async function unpinMemberTier(trx: Trx, merchantId: string, memberId: string, actor: Actor, at: Date): Promise<EvaluateResult> {
  const program = await loadTierProgram(trx, merchantId);
  const before = await lockState(trx, merchantId, memberId);
  if (!before?.pin_tier_id) throw new DomainError("conflict", "This member is not pinned to a tier");
  await trx
    .updateTable("member_tiers")
    .set({ pin_tier_id: null, pin_until: null, pin_reason: null, pinned_by: null, updated_at: at })
    .where("merchant_id", "=", merchantId)
    .where("member_id", "=", memberId)
    .execute();
  const result = await reevaluateLocked(trx, merchantId, memberId, at, program, before.tier_id, "unpin", "Pin removed by staff", actor);
  await recordAudit(trx, merchantId, actor, "tier.unpin", { type: "member", id: memberId }, {
    before: { tierId: before.tier_id, pinTierId: before.pin_tier_id, pinUntil: before.pin_until, reason: before.pin_reason },
    after: { tierId: result.tierId },
  });
  return result;
}

/** Evaluates with the pin change applied and records one history row for it (pin / unpin), whatever the tier did. */
async function reevaluateLocked(
  trx: Trx,
  merchantId: string,
  memberId: string,
  at: Date,
  program: TierProgram,
  from: string | null,
  reason: "pin" | "unpin",
  note: string,
  actor: Actor,
): Promise<EvaluateResult> {
  const row = (await lockState(trx, merchantId, memberId))!;
  const windows = qualificationWindows(program.settings.window, at, program.timezone);
  const figures = await memberFigures(trx, program, merchantId, memberId, windows);
  const d = decide({ tiers: program.tiers, settings: program.settings, at, timezone: program.timezone, figures, state: toState(row) });
  await trx
    .updateTable("member_tiers")
    .set({
      tier_id: d.tierId,
      earned_tier_id: d.earnedTierId,
      valid_until: d.validUntil,
      ...(d.tierId !== from ? { since: at } : {}),
      evaluated_at: at,
      updated_at: at,
    })
    .where("merchant_id", "=", merchantId)
    .where("member_id", "=", memberId)
    .execute();
  await appendHistory(trx, merchantId, memberId, program, { from, to: d.tierId, reason, note, actor, at });
  return { changed: d.tierId !== from, fromTierId: from, tierId: d.tierId, atRisk: d.atRisk, emails: 0 };
}

async function storedHoldout(trx: Trx, merchantId: string, memberId: string): Promise<boolean> {
  // The experiment and the member's stored arm in one statement (the admin member page's tier panel, issue 14).
  const row = (await programHoldoutSql(merchantId, "loyalty_program", memberId).execute(trx)).rows[0];
  return row?.hx_status === "active" && row.hx_is_control === true;
}

export type { MemberTierView, TierHistoryEntry };

// ---- reading ---------------------------------------------------------------------------------------------------


export async function memberTierHistory(trx: Trx, merchantId: string, memberId: string, limit = 50): Promise<TierHistoryEntry[]> {
  const rows = await trx
    .selectFrom("tier_history")
    .select(["id", "from_name", "to_name", "reason", "note", "actor_type", "at"])
    .where("merchant_id", "=", merchantId)
    .where("member_id", "=", memberId)
    .orderBy("at", "desc")
    .orderBy("created_at", "desc")
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    fromName: r.from_name,
    toName: r.to_name,
    reason: r.reason,
    note: r.note,
    actorType: r.actor_type,
    at: new Date(r.at).toISOString(),
  }));
}


/**
 * Everything the portal card and the admin panel show about a member's tier. Read-only apart from the holdout
 * assignment in the portal (a member meets the program there, so that is where they are enrolled); staff looking
 * at a member (`enroll: false`) only read the stored assignment.
 */
export async function memberTierView(trx: Trx, merchantId: string, memberId: string, at: Date, opts: { enroll?: boolean } = {}): Promise<MemberTierView> {
  const program = await loadTierProgram(trx, merchantId);
  const heldOut = program.tiers.length > 0 && (opts.enroll === false ? await storedHoldout(trx, merchantId, memberId) : await isHeldOutOfProgram(trx, merchantId, "loyalty_program", memberId));
  const windows = qualificationWindows(program.settings.window, at, program.timezone);
  const figures = heldOut || program.tiers.length === 0 ? { current: 0, previous: 0 } : await memberFigures(trx, program, merchantId, memberId, windows);
  const row = await trx
    .selectFrom("member_tiers")
    .select(["tier_id", "earned_tier_id", "valid_until", "pin_tier_id", "pin_until", "pin_reason"])
    .where("merchant_id", "=", merchantId)
    .where("member_id", "=", memberId)
    .executeTakeFirst();
  const tier = heldOut ? null : (program.tiers.find((t) => t.id === row?.tier_id) ?? null);
  const d = heldOut
    ? null
    : decide({ tiers: program.tiers, settings: program.settings, at, timezone: program.timezone, figures, state: row ? toState(row) : null });
  const progress = heldOut ? null : progressToNext(program.tiers, tier?.id ?? null, figures.current, windows);
  const earned = program.tiers.find((t) => t.id === row?.earned_tier_id);
  const pinTier = program.tiers.find((t) => t.id === row?.pin_tier_id);
  return {
    enabled: program.tiers.length > 0,
    heldOut,
    basis: program.settings.basis,
    window: program.settings.window,
    graceDays: program.settings.graceDays,
    downgrade: program.settings.downgrade,
    timezone: program.timezone,
    currency: program.currency,
    tiers: program.tiers,
    thresholdTexts: program.tiers.map((t) => formatFigure(program, t.threshold)),
    tier,
    figure: figures.current,
    figureText: formatFigure(program, figures.current),
    validUntil: tier && row?.valid_until ? row.valid_until.toISOString() : null,
    pin: !heldOut && pinTier && row?.pin_until && row.pin_until > at ? { tierName: pinTier.name, until: row.pin_until.toISOString(), reason: row.pin_reason } : null,
    progress: progress
      ? {
          missing: progress.missing,
          figure: progress.figure,
          percent: progress.percent,
          nextName: progress.next.name,
          missingText: formatFigure(program, progress.missing),
          by: progress.by?.toISOString() ?? null,
        }
      : null,
    atRisk:
      d?.atRisk && earned
        ? {
            downgradeAt: d.atRisk.downgradeAt.toISOString(),
            toTierName: program.tiers.find((t) => t.id === d.atRisk!.toTierId)?.name ?? null,
            missingToKeepText: formatFigure(program, Math.max(0, earned.threshold - figures.current)),
          }
        : null,
  };
}
