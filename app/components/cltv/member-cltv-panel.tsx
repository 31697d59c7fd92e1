import { Link } from "@remix-run/react";
import { useAdmin } from "~/components/admin/use-admin";
import { Badge, Card } from "~/components/ui";
import type { MemberCltv } from "~/domain/cltv/report-types";
import type { StoredIntervals } from "~/domain/cltv/score-intervals";
import { formatMoney } from "~/lib/money";

const SEGMENT = { top: "Top 20%", middle: "Middle 60%", bottom: "Bottom 20%" } as const;

/** The member page's CLTV panel: what the nightly model predicts for this member. */
export function MemberCltvPanel({ cltv, currency }: { cltv: (MemberCltv & { intervals?: StoredIntervals | null }) | null; currency: string }) {
  const { slug } = useAdmin().merchant;
  return (
    <Card title="Customer lifetime value">
      {!cltv ? (
        <p className="text-sm text-stone-600">
          Not scored yet: members are scored every night once they have an order and the merchant has enough orders to fit the{" "}
          <Link to={`/admin/${slug}/cltv`} className="font-medium underline">
            CLTV model
          </Link>
          .
        </p>
      ) : (
        <>
          <dl className="grid grid-cols-2 gap-x-6 gap-y-3 text-sm sm:grid-cols-4">
            <Item
              label="CLTV 12 months"
              value={formatMoney(cltv.cltv12mMinor, currency)}
              range={cltv.intervals ? `${formatMoney(cltv.intervals.cltv12mMinor[0], currency)} – ${formatMoney(cltv.intervals.cltv12mMinor[1], currency)}` : null}
            />
            <Item label="CLTV 24 months" value={formatMoney(cltv.cltv24mMinor, currency)} />
            <Item label="CLTV 36 months" value={formatMoney(cltv.cltv36mMinor, currency)} />
            <Item label="Percentile" value={`${Math.round(cltv.percentile)}`} />
            <Item
              label="P(alive)"
              value={`${(cltv.pAlive * 100).toFixed(1)}%`}
              range={cltv.intervals ? `${(cltv.intervals.pAlive[0] * 100).toFixed(1)}% – ${(cltv.intervals.pAlive[1] * 100).toFixed(1)}%` : null}
            />
            <Item
              label="Expected purchases, next 12 months"
              value={cltv.predictedPurchases12m.toFixed(2)}
              range={cltv.intervals ? `${cltv.intervals.predictedPurchases12m[0].toFixed(2)} – ${cltv.intervals.predictedPurchases12m[1].toFixed(2)}` : null}
            />
            <Item label="Expected spend per order" value={formatMoney(cltv.expectedOrderMinor, currency)} />
            <div>
              <dt className="text-stone-500">Segment</dt>
              <dd className="mt-0.5 flex flex-wrap gap-1">
                {cltv.segment ? <Badge>{SEGMENT[cltv.segment]}</Badge> : "—"}
                {cltv.atRisk ? <Badge tone="amber">At risk</Badge> : null}
              </dd>
            </div>
          </dl>
          <p className="mt-3 text-xs text-stone-500">
            CLTV is discounted gross margin predicted by the merchant&apos;s purchase model and Gamma-Gamma{cltv.scoredAt ? `, scored ${cltv.scoredAt.slice(0, 10)}` : ""}.
            {cltv.intervals
              ? ` Ranges are ${Math.round(cltv.intervals.level * 100)}% intervals from the models' parameter uncertainty (not the member's own randomness).`
              : " No ranges: the fit's parameters are too uncertain to draw from (see the CLTV page's warnings)."}
          </p>
        </>
      )}
    </Card>
  );
}

function Item({ label, value, range = null }: { label: string; value: string; range?: string | null }) {
  return (
    <div>
      <dt className="text-stone-500">{label}</dt>
      <dd className="mt-0.5 font-semibold tabular-nums text-stone-900">{value}</dd>
      {range ? <dd className="text-xs tabular-nums text-stone-500">90%: {range}</dd> : null}
    </div>
  );
}
