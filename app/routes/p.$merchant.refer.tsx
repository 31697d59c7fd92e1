import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { requireMember } from "~/web/guards.server";
import { PortalLink } from "~/components/portal/portal-shell";
import { InviteForm, ShareLinkCard, YourReferrals } from "~/components/referrals/portal-refer";
import { InviteFormSchema } from "~/web/forms/referrals";
import { shareLinks } from "~/components/referrals/share-links";
import { Card } from "~/components/ui";
import { db, withTenant } from "~/db.server";
import { portalReferralsView } from "~/web/presenters/referrals/portal.server";
import { qrSvg } from "~/web/presenters/referrals/qr.server";
import { shareableCode } from "~/domain/referrals/codes.server";
import { sendInvite } from "~/domain/referrals/invites.server";
import { getReferralSettings } from "~/domain/referrals/program.server";
import { referralTerms } from "~/domain/referrals/terms";
import { readSubmission } from "~/lib/forms.server";
import { replyWithDomainError } from "~/web/form-action.server";

export const meta: MetaFunction = () => [{ title: "Refer a friend" }];

/** "Refer a friend": the member's link (copy, QR, share apps), e-mail invites, and their referrals and network. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant, member } = await requireMember(request, params.merchant);
  const found = await withTenant(db(), merchant.id, async (trx) => {
    const settings = await getReferralSettings(trx, merchant.id);
    const share = await shareableCode(trx, merchant.id, member.id, settings.enabled);
    return { settings, share, referrals: await portalReferralsView(trx, merchant.id, member.id, merchant.timezone) };
  });
  const base = { slug: merchant.slug, programName: merchant.name, referrals: found.referrals };
  if (!found.share) return { ...base, share: null };
  // The terms come from the settings already read: no statement more for this page (page-statements.test.ts).
  const terms = referralTerms(found.settings, merchant.currency);
  return {
    ...base,
    share: {
      code: found.share.code,
      link: found.share.link,
      qr: qrSvg(found.share.link),
      // The message goes out in the member's name: while some friends get no gift (friend holdout), it promises none.
      shares: shareLinks(found.share.link, merchant.name, terms.friendGiftLine && !terms.holdoutNoteForFriend ? terms.friendGiftLine : null),
      friendOffer: terms.friendGiftLine,
      referrerLine: terms.referrerLine,
      holdoutNote: terms.holdoutNoteForReferrer,
    },
  };
}

/** An e-mail invitation from the member; the daily limit and "already a member" come back as field errors. */
export async function action({ request, params }: ActionFunctionArgs) {
  const { merchant, member } = await requireMember(request, params.merchant);
  const submission = await readSubmission(request, { schema: InviteFormSchema });
  if (submission.status !== "success") return data({ result: submission.reply(), sent: null }, { status: 400 });
  try {
    await withTenant(db(), merchant.id, (trx) => sendInvite(trx, merchant.id, member.id, { to: submission.value.to, note: submission.value.note }));
  } catch (err) {
    return replyWithDomainError(submission, err, { fields: ["to", "note"], extra: { sent: null } });
  }
  return { result: submission.reply({ resetForm: true }), sent: submission.value.to };
}

export default function PortalRefer() {
  const { slug, programName, share, referrals } = useLoaderData<typeof loader>();
  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight text-stone-900">Refer a friend</h1>
        {share ? (
          <>
            <p className="mt-1 text-sm text-stone-600">
              {share.friendOffer ? `Friends who join with your link get ${share.friendOffer}. ` : ""}
              {share.referrerLine ?? `Share ${programName} rewards with your friends.`}
            </p>
            {share.holdoutNote ? <p className="mt-1 text-xs text-stone-600">{share.holdoutNote}</p> : null}
          </>
        ) : null}
      </div>
      {share ? (
        <>
          <ShareLinkCard link={share.link} code={share.code} qr={share.qr} shares={share.shares} />
          <InviteForm action={`/p/${slug}/refer`} />
        </>
      ) : (
        <Card>
          <p className="text-sm text-stone-700">Referrals are not available for your account right now.</p>
          <p className="mt-2 text-sm">
            <PortalLink to={`/p/${slug}`}>Back to your rewards home</PortalLink>
          </p>
        </Card>
      )}
      <YourReferrals rows={referrals.rows} network={referrals.network} beyond={referrals.beyond} rewardsEarned={referrals.rewardsEarned} />
    </div>
  );
}
