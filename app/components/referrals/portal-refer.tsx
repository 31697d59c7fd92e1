import { getFormProps, getInputProps, getTextareaProps, useForm, type SubmissionResult } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { useFetcher } from "@remix-run/react";
import { useEffect, useId, useRef, useState } from "react";
import { PortalButton } from "~/components/portal/portal-shell";
import { Alert, Badge, Card, FormErrors, TextAreaField, TextField } from "~/components/ui";
import { InviteFormSchema } from "~/web/forms/referrals";
import type { ShareLink } from "./share-links";
import { REFERRAL_STATUS_LABEL, REFERRAL_STATUS_TONE, type NetworkLevelCount, type PortalReferralRow, type QrView } from "./views";

/** The member's link in a read-only field, a copy button (announces "Copied"), and the QR code of the same link. */
export function ShareLinkCard({ link, code, qr, shares }: { link: string; code: string; qr: QrView; shares: ShareLink[] }) {
  const inputId = useId();
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<"yes" | "select" | null>(null);
  async function copy() {
    try {
      await navigator.clipboard.writeText(link);
      setCopied("yes");
    } catch {
      // No clipboard permission (or an insecure context): select the text so the member can copy it themselves.
      input.current?.select();
      setCopied("select");
    }
  }
  return (
    <Card title="Your link">
      <div className="flex flex-col gap-6 sm:flex-row">
        <div className="min-w-0 flex-1 space-y-3">
          <label htmlFor={inputId} className="block text-sm font-medium text-stone-800">
            Share this link
          </label>
          <div className="flex gap-2">
            <input
              id={inputId}
              ref={input}
              readOnly
              value={link}
              onFocus={(e) => e.currentTarget.select()}
              className="block w-full min-w-0 rounded-md border border-stone-300 bg-stone-50 px-3 py-2 text-sm text-stone-900"
            />
            <button
              type="button"
              onClick={copy}
              className="shrink-0 rounded-md bg-(--portal-brand) px-4 py-2 text-sm font-medium text-(--portal-on-brand) hover:opacity-90 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-(--portal-brand)"
            >
              Copy link
            </button>
          </div>
          <p role="status" className="min-h-5 text-sm text-stone-600">
            {copied === "yes" ? "Copied to your clipboard." : copied === "select" ? "Press Ctrl+C (or ⌘C) to copy the selected link." : ""}
          </p>
          <p className="text-sm text-stone-600">
            Or tell friends your code: <strong className="font-mono text-base tracking-wider text-stone-900">{code}</strong>
          </p>
          <div>
            <h3 className="text-sm font-medium text-stone-800">Share with</h3>
            <ul className="mt-2 flex flex-wrap gap-2">
              {shares.map((s) => (
                <li key={s.key}>
                  <a
                    href={s.href}
                    target={s.key === "sms" || s.key === "email" ? undefined : "_blank"}
                    rel="noopener noreferrer"
                    className="inline-flex rounded-md border border-stone-300 bg-white px-3 py-1.5 text-sm font-medium text-stone-800 hover:bg-stone-50"
                  >
                    {s.label}
                    {s.key === "sms" || s.key === "email" ? null : <span className="sr-only"> (opens in a new tab)</span>}
                  </a>
                </li>
              ))}
            </ul>
          </div>
        </div>
        <figure className="shrink-0 self-center">
          <svg role="img" aria-label={`QR code for ${link}`} viewBox={`0 0 ${qr.size} ${qr.size}`} className="size-40 bg-white" shapeRendering="crispEdges">
            <rect width={qr.size} height={qr.size} fill="#ffffff" />
            <path d={qr.path} fill="#000000" />
          </svg>
          <figcaption className="mt-1 text-center text-xs text-stone-600">Scan to open your link</figcaption>
        </figure>
      </div>
    </Card>
  );
}

type InviteResult = { result: SubmissionResult<string[]>; sent: string | null };

/** E-mail a friend an invitation from Perennial with a personal note; limits show as field errors. */
export function InviteForm({ action }: { action: string }) {
  const fetcher = useFetcher<InviteResult>();
  const [form, fields] = useForm({
    id: "invite",
    lastResult: fetcher.state === "idle" ? fetcher.data?.result : undefined,
    onValidate: ({ formData }) => parseWithZod(formData, { schema: InviteFormSchema }),
    shouldValidate: "onBlur",
    shouldRevalidate: "onInput",
  });
  const sent = fetcher.state === "idle" ? fetcher.data?.sent : null;
  useEffect(() => {
    if (sent) form.reset();
    // Reset once per successful send only.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [sent]);
  return (
    <Card title="Invite by e-mail">
      <fetcher.Form method="post" action={action} {...getFormProps(form)} className="space-y-4">
        <FormErrors errors={form.errors} id={form.errorId} />
        {sent ? <Alert tone="success">Invitation sent to {sent}.</Alert> : null}
        <TextField label="Friend's e-mail" errors={fields.to.errors} autoComplete="off" {...getInputProps(fields.to, { type: "email", ariaAttributes: false })} key={fields.to.key} />
        <TextAreaField
          label="Personal note (optional)"
          hint="Up to 500 characters, sent as you write it."
          rows={3}
          errors={fields.note.errors}
          {...getTextareaProps(fields.note, { ariaAttributes: false })}
          key={fields.note.key}
        />
        <PortalButton type="submit" disabled={fetcher.state !== "idle"} className="sm:w-auto">
          {fetcher.state !== "idle" ? "Sending…" : "Send invitation"}
        </PortalButton>
      </fetcher.Form>
    </Card>
  );
}

/** The member's own referrals (first names only) with status and reward, and their wider network as counts. */
export function YourReferrals({
  rows,
  network,
  beyond,
  rewardsEarned,
}: {
  rows: PortalReferralRow[];
  network: NetworkLevelCount[];
  beyond: number;
  rewardsEarned: string | null;
}) {
  const total = network.reduce((t, l) => t + l.members, 0) + beyond;
  return (
    <Card title="Your referrals">
      {rows.length === 0 ? (
        <p className="text-sm text-stone-600">No one has joined with your link yet. Friends who join show up here.</p>
      ) : (
        <ul className="divide-y divide-stone-200">
          {rows.map((r) => (
            <li key={r.key} className="flex flex-wrap items-center justify-between gap-2 py-2">
              <div>
                <p className="text-sm font-medium text-stone-900">{r.friend}</p>
                <p className="text-xs text-stone-600">Joined {r.joinedOn}</p>
              </div>
              <div className="flex items-center gap-3">
                {r.reward ? <span className="text-sm font-medium text-stone-900">{r.reward}</span> : null}
                <Badge tone={REFERRAL_STATUS_TONE[r.status]}>{REFERRAL_STATUS_LABEL[r.status]}</Badge>
              </div>
            </li>
          ))}
        </ul>
      )}
      {rewardsEarned ? <p className="mt-3 text-sm text-stone-700">Earned from referrals so far: {rewardsEarned}.</p> : null}
      <h3 className="mt-5 text-sm font-medium text-stone-800">Your network</h3>
      {total === 0 ? (
        <p className="mt-1 text-sm text-stone-600">Your network grows when your friends invite their friends too.</p>
      ) : (
        <dl className="mt-2 grid grid-cols-2 gap-3 sm:grid-cols-4">
          {network.map((l) => (
            <div key={l.level} className="rounded-md border border-stone-200 px-3 py-2">
              <dt className="text-xs text-stone-600">{l.level === 1 ? "Your friends" : `Level ${l.level}`}</dt>
              <dd className="text-xl font-semibold tabular-nums text-stone-900">{l.members.toLocaleString("en-US")}</dd>
            </div>
          ))}
          {beyond > 0 ? (
            <div className="rounded-md border border-stone-200 px-3 py-2">
              <dt className="text-xs text-stone-600">Further down</dt>
              <dd className="text-xl font-semibold tabular-nums text-stone-900">{beyond.toLocaleString("en-US")}</dd>
            </div>
          ) : null}
          <div className="rounded-md border border-stone-200 px-3 py-2">
            <dt className="text-xs text-stone-600">In total</dt>
            <dd className="text-xl font-semibold tabular-nums text-stone-900">{total.toLocaleString("en-US")}</dd>
          </div>
        </dl>
      )}
    </Card>
  );
}
