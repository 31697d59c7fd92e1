import { Link } from "@remix-run/react";
import { adminPath } from "~/components/admin/use-admin";
import { Badge, Card } from "~/components/ui";
import { REFERRAL_STATUS_LABEL, REFERRAL_STATUS_TONE, type ReferralStatus } from "./views";

export interface MemberReferralPanelProps {
  code: string | null;
  referredBy: { memberId: string; name: string; status: ReferralStatus } | null;
  direct: number;
  networkSize: number;
  networkValue: string;
  blocked: boolean;
}

/** The member page's referral panel: their code, who referred them, their network, and the way to their tree. */
export function MemberReferralPanel({ slug, memberId, panel }: { slug: string; memberId: string; panel: MemberReferralPanelProps }) {
  return (
    <Card className="mt-6" title="Referrals" actions={<Link to={adminPath(slug, `referrals/tree/${memberId}`)} className="text-sm font-medium text-brand-700 underline underline-offset-2">View referral tree</Link>}>
      <dl className="grid grid-cols-2 gap-4 text-sm">
        <div>
          <dt className="text-stone-600">Referral code</dt>
          <dd className="mt-0.5 font-mono text-stone-900">{panel.code ?? "None yet"}</dd>
        </div>
        <div>
          <dt className="text-stone-600">Referred by</dt>
          <dd className="mt-0.5 text-stone-900">
            {panel.referredBy ? (
              <>
                <Link to={adminPath(slug, `members/${panel.referredBy.memberId}`)} className="font-medium text-brand-700 underline-offset-2 hover:underline">
                  {panel.referredBy.name}
                </Link>{" "}
                <Badge tone={REFERRAL_STATUS_TONE[panel.referredBy.status]}>{REFERRAL_STATUS_LABEL[panel.referredBy.status]}</Badge>
              </>
            ) : (
              "Nobody"
            )}
          </dd>
        </div>
        <div>
          <dt className="text-stone-600">Direct referrals · network</dt>
          <dd className="mt-0.5 tabular-nums text-stone-900">
            {panel.direct.toLocaleString("en-US")} · {panel.networkSize.toLocaleString("en-US")}
          </dd>
        </div>
        <div>
          <dt className="text-stone-600">Network value</dt>
          <dd className="mt-0.5 font-medium tabular-nums text-stone-900">{panel.networkValue}</dd>
        </div>
      </dl>
      {panel.blocked ? <p className="mt-3 text-sm text-red-700">Blocked as a referrer: their links no longer attribute.</p> : null}
    </Card>
  );
}
