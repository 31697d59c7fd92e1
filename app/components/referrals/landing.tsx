import { Link } from "@remix-run/react";
import type { LandingView } from "./views";

const primary = "inline-flex items-center justify-center rounded-md bg-(--portal-brand) px-5 py-2.5 text-sm font-medium text-(--portal-on-brand) hover:opacity-90";
const secondary = "inline-flex items-center justify-center rounded-md border border-stone-300 bg-white px-5 py-2.5 text-sm font-medium text-stone-800 hover:bg-stone-50";

/**
 * What a friend sees on opening a member's link: who invited them, what they get and when, and the way to join. A
 * friend in the friend holdout sees the same page without the gift; while the holdout runs, every friend reads the
 * terms' line about it. A visitor who is already a member is pointed to their rewards instead (a member cannot be
 * referred).
 */
export function ReferralLanding({ view, alreadyMember = false }: { view: LandingView; alreadyMember?: boolean }) {
  return (
    <section className="mx-auto max-w-lg py-6 text-center">
      <p className="text-sm font-medium uppercase tracking-wide text-stone-600">You're invited</p>
      <h1 className="mt-2 text-3xl font-semibold tracking-tight text-stone-900">
        {view.referrer} invited you to {view.programName} rewards
      </h1>
      {alreadyMember ? (
        <>
          <p className="mx-auto mt-4 max-w-md text-stone-600">You're already a member, so there's nothing more to do. Invite your own friends from your rewards page.</p>
          <div className="mt-6">
            <Link to={view.signupHref} className={primary}>
              Go to your rewards
            </Link>
          </div>
        </>
      ) : (
        <>
          {view.friendOffer ? (
            <div className="mt-6 rounded-lg border border-stone-200 bg-white px-6 py-5 shadow-sm">
              <h2 className="text-sm font-medium text-stone-600">Your welcome gift</h2>
              <p className="mt-1 text-xl font-semibold text-stone-900">{view.friendOffer}</p>
              {view.giftCondition ? <p className="mt-1 text-sm text-stone-600">{view.giftCondition}</p> : null}
            </div>
          ) : (
            <p className="mx-auto mt-4 max-w-md text-stone-600">Join to collect points on your purchases and unlock rewards.</p>
          )}
          <div className="mt-6 flex flex-wrap justify-center gap-3">
            <Link to={view.signupHref} className={primary}>
              Join {view.programName} rewards
            </Link>
            <Link to={view.loginHref} className={secondary}>
              I'm already a member
            </Link>
          </div>
          <p className="mt-4 text-xs text-stone-600">
            Invitation code <span className="font-mono tracking-wider text-stone-800">{view.code}</span> is applied when you join.
          </p>
          {view.holdoutNote ? <p className="mx-auto mt-2 max-w-md text-xs text-stone-600">{view.holdoutNote}</p> : null}
        </>
      )}
    </section>
  );
}

/**
 * The friendly answer to a link that does not (or no longer) work — no error page, a way in all the same — and the
 * generic invitation shown to link-preview bots.
 */
export function UnknownReferralLink({ programName, signupHref, preview = false }: { programName: string; signupHref: string; preview?: boolean }) {
  return (
    <section className="mx-auto max-w-lg py-10 text-center">
      <h1 className="text-2xl font-semibold tracking-tight text-stone-900">{preview ? `You're invited to ${programName} rewards` : "This invitation link doesn't work"}</h1>
      <p className="mx-auto mt-3 max-w-md text-stone-600">
        {preview
          ? "Join to collect points on your purchases and unlock rewards."
          : `The code may have been mistyped, or the invitation is no longer valid. Ask your friend to send their link again, or join ${programName} rewards without it.`}
      </p>
      <div className="mt-6">
        <Link to={signupHref} className={primary}>
          {preview ? `Join ${programName} rewards` : "Join anyway"}
        </Link>
      </div>
    </section>
  );
}
