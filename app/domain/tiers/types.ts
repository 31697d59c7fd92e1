import type { TierChangeReason } from "~db/schema";
import type { Progress, TierDef, TierSettings } from "./model";

/** Read models of tiers, shared by the server code and the components (plain data, safe for the browser). */

export interface TierHistoryEntry {
  id: string;
  fromName: string | null;
  toName: string | null;
  reason: TierChangeReason;
  note: string | null;
  actorType: string;
  at: string;
}

export interface MemberTierView {
  enabled: boolean;
  heldOut: boolean;
  basis: TierSettings["basis"];
  window: TierSettings["window"];
  graceDays: number;
  downgrade: TierSettings["downgrade"];
  timezone: string;
  currency: string;
  tiers: TierDef[];
  /** Each tier's threshold as text ("$500.00", "1,000 points"), in the order of `tiers`. */
  thresholdTexts: string[];
  tier: TierDef | null;
  figure: number;
  figureText: string;
  validUntil: string | null;
  pin: { tierName: string; until: string; reason: string | null } | null;
  progress: (Omit<Progress, "by" | "next"> & { nextName: string; missingText: string; by: string | null }) | null;
  atRisk: { downgradeAt: string; toTierName: string | null; missingToKeepText: string } | null;
}

/** What saveTierProgram accepts: the settings and the ladder, lowest first (a tier's order is its rank; id null = new). */
export interface TierProgramInput {
  settings: TierSettings;
  tiers: Array<Omit<TierDef, "id" | "rank"> & { id: string | null }>;
}
