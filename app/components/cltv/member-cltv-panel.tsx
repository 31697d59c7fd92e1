import { Link } from "@remix-run/react";
import { useAdmin } from "~/components/admin/use-admin";
import { Badge, Card } from "~/components/ui";
import type { MemberCltv } from "~/domain/cltv/report-types";
import { formatMoney } from "~/lib/money";

const SEGMENT = { top: "Top 20%", middle: "Middle 60%", bottom: "Bottom 20%" } as const;

/** The member page's CLTV panel: what the nightly model predicts for this member. */
export function MemberCltvPanel({ cltv, currency }: { cltv: MemberCltv | null; currency: string }) {
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
            <Item label="CLTV 12 months" value={formatMoney(cltv.cltv12mMinor, currency)} />
            <Item label="CLTV 24 months" value={formatMoney(cltv.cltv24mMinor, currency)} />
            <Item label="CLTV 36 months" value={formatMoney(cltv.cltv36mMinor, currency)} />
            <Item label="Percentile" value={`${Math.round(cltv.percentile)}`} />
            <Item label="P(alive)" value={`${(cltv.pAlive * 100).toFixed(1)}%`} />
            <Item label="Expected purchases, next 12 months" value={cltv.predictedPurchases12m.toFixed(2)} />
            <Item label="Expected spend per order" value={formatMoney(cltv.expectedOrderMinor, currency)} />
            <div>
              <dt className="text-stone-500">Segment</dt>
              <dd className="mt-0.5 flex flex-wrap gap-1">
                {cltv.segment ? <Badge>{SEGMENT[cltv.segment]}</Badge> : "—"}
                {cltv.atRisk ? <Badge tone="amber">At risk</Badge> : null}
              </dd>
            </div>
          </dl>
          <p className="mt-3 text-xs text-stone-500">CLTV is discounted gross margin predicted by the BG/NBD and Gamma-Gamma models{cltv.scoredAt ? `, scored ${cltv.scoredAt.slice(0, 10)}` : ""}.</p>
        </>
      )}
    </Card>
  );
}

function Item({ label, value }: { label: string; value: string }) {
  return (
    <div>
      <dt className="text-stone-500">{label}</dt>
      <dd className="mt-0.5 font-semibold tabular-nums text-stone-900">{value}</dd>
    </div>
  );
}
