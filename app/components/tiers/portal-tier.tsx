import { Card } from "~/components/ui";
import { dateTimeFormat } from "~/lib/intl";
import type { MemberTierView } from "~/domain/tiers/types";

/** Dates in the merchant's zone, e.g. "31 Dec 2026". */
export function tierDate(iso: string, timezone: string): string {
  return dateTimeFormat("en-GB", { timeZone: timezone, day: "numeric", month: "short", year: "numeric" }).format(new Date(iso));
}

/** The last day something holds, for an exclusive end instant (a period ending at 1 Jan 00:00 "runs to 31 Dec"). */
export function lastDay(iso: string, timezone: string): string {
  return tierDate(new Date(new Date(iso).getTime() - 1).toISOString(), timezone);
}

const WINDOW_TEXT: Record<MemberTierView["window"], string> = {
  calendar_year: "this calendar year",
  rolling_12m: "the last 12 months",
  lifetime: "all time",
};

function verb(view: Pick<MemberTierView, "basis">) {
  return view.basis === "spend" ? "spend" : "earn";
}

/** "Spend $38.00 more by 31 Dec 2026 to reach Reserve." */
export function progressSentence(view: MemberTierView): string | null {
  if (!view.progress) return null;
  const by = view.progress.by ? ` by ${lastDay(view.progress.by, view.timezone)}` : view.window === "rolling_12m" ? " within 12 months" : "";
  const v = verb(view);
  return `${v[0]!.toUpperCase()}${v.slice(1)} ${view.progress.missingText} more${by} to reach ${view.progress.nextName}.`;
}

/** What happens at the end of the period, in words. */
export function periodEndSentence(view: MemberTierView): string | null {
  if (!view.tier) return null;
  if (view.pin) return `You hold ${view.pin.tierName} until ${lastDay(view.pin.until, view.timezone)}.`;
  if (view.atRisk) {
    const to = view.atRisk.toTierName ?? "the standard membership";
    return `On ${tierDate(view.atRisk.downgradeAt, view.timezone)} your tier changes to ${to}. ${verb(view) === "spend" ? "Spend" : "Earn"} ${view.atRisk.missingToKeepText} more before then to keep ${view.tier.name}.`;
  }
  if (view.validUntil) return `${view.tier.name} is yours until at least ${lastDay(view.validUntil, view.timezone)}. Keep qualifying to keep it longer.`;
  return `${view.tier.name} is yours for good.`;
}

export function benefitLines(tier: MemberTierView["tiers"][number]): string[] {
  return [
    ...(tier.earningPercent > 100 ? [`${tier.earningPercent / 100}× points on purchases`] : []),
    ...(tier.birthdayBonus > 0 ? [`${tier.birthdayBonus.toLocaleString("en-US")} extra birthday points`] : []),
    ...(tier.exclusiveAccess ? ["Exclusive rewards and offers"] : []),
    ...tier.perks.split("\n").map((p) => p.trim()).filter(Boolean),
  ];
}

/** The member's tier card: current tier, progress to the next, what happens at the period end, every tier's benefits. */
export function PortalTier({ view }: { view: MemberTierView }) {
  const progress = progressSentence(view);
  const periodEnd = periodEndSentence(view);
  return (
    <div className="space-y-6">
      <Card title={view.tier ? `Your tier: ${view.tier.name}` : "You have no tier yet"}>
        <div className="space-y-4 px-5 py-4 text-sm text-stone-700">
          <p>
            {view.basis === "spend" ? "Your qualifying spend" : "Points you earned"} in {WINDOW_TEXT[view.window]}: <strong>{view.figureText}</strong>
          </p>
          {view.progress ? (
            <div>
              <div
                className="h-3 w-full rounded-full bg-stone-100"
                role="progressbar"
                aria-label={`Progress to ${view.progress.nextName}`}
                aria-valuemin={0}
                aria-valuemax={100}
                aria-valuenow={view.progress.percent}
              >
                <div className="h-3 rounded-full bg-(--portal-brand)" style={{ width: `${view.progress.percent}%` }} />
              </div>
              <p className="mt-2 font-medium text-stone-900">{progress}</p>
            </div>
          ) : view.tier ? (
            <p className="font-medium text-stone-900">You are in our highest tier. Thank you!</p>
          ) : null}
          {periodEnd ? <p>{periodEnd}</p> : null}
        </div>
      </Card>
      <Card title="Tiers and benefits">
        <ul className="divide-y divide-stone-200">
          {view.tiers.map((t, i) => (
            <li key={t.id} className="px-5 py-4 text-sm">
              <h3 className="font-semibold text-stone-900">
                {t.name}
                {view.tier?.id === t.id ? <span className="ml-2 text-xs font-medium text-stone-500">(your tier)</span> : null}
              </h3>
              <p className="text-stone-600">
                {view.basis === "spend" ? "Spend" : "Earn"} {view.thresholdTexts[i]} in {WINDOW_TEXT[view.window]}
              </p>
              <ul className="mt-1 list-inside list-disc text-stone-700">
                {benefitLines(t).map((b) => (
                  <li key={b}>{b}</li>
                ))}
              </ul>
            </li>
          ))}
        </ul>
      </Card>
    </div>
  );
}
