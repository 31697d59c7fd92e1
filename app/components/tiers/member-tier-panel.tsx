import { useFetcher } from "@remix-run/react";
import { canAct, useAdmin } from "~/components/admin/use-admin";
import { Alert, Badge, Button, Card, FormErrors, SelectField, Table, Td, TextAreaField, TextField, Th } from "~/components/ui";
import type { MemberTierView, TierHistoryEntry } from "~/domain/tiers/types";
import type { StaffRole } from "~db/schema";
import { lastDay, periodEndSentence, progressSentence, tierDate } from "./portal-tier";

export interface MemberTierPanelProps {
  memberId: string;
  role: StaffRole;
  view: MemberTierView;
  history: TierHistoryEntry[];
}

type PinReply = { intent: "pin" | "unpin"; saved: boolean; error?: string; result?: { error?: Record<string, string[] | null> | null } | null };

const REASONS: Record<TierHistoryEntry["reason"], string> = {
  upgrade: "Upgrade",
  downgrade: "Downgrade",
  pin: "Pinned",
  unpin: "Pin ended",
  definition_change: "Tiers changed",
};

/** The member page's tier panel: current tier and progress, pin / unpin (admins), and the tier history. */
export function MemberTierPanel({ memberId, role, view, history }: MemberTierPanelProps) {
  const slug = useAdmin().merchant.slug;
  const pin = useFetcher<PinReply>();
  const unpin = useFetcher<PinReply>();
  const errors = pin.data?.result?.error ?? {};
  const admin = canAct(role, "admin");
  if (!view.enabled) return null;
  return (
    <Card title="Tier">
      <div className="space-y-4 px-5 py-4 text-sm text-stone-700">
        {view.heldOut ? (
          <Alert tone="info">Held out of the loyalty program (its holdout group): no tier.</Alert>
        ) : (
          <>
            <p>
              <span className="font-medium text-stone-900">{view.tier?.name ?? "No tier"}</span>
              {view.pin ? (
                <span className="ml-2">
                  <Badge tone="brand">Pinned until {lastDay(view.pin.until, view.timezone)}</Badge>
                </span>
              ) : null}
              <span className="ml-2 text-stone-500">· qualifying figure {view.figureText}</span>
            </p>
            {progressSentence(view) ? <p>{progressSentence(view)}</p> : null}
            {periodEndSentence(view) ? <p>{periodEndSentence(view)}</p> : null}
          </>
        )}
        {admin && !view.heldOut ? (
          <pin.Form method="post" action={`/admin/${slug}/tiers`} className="grid grid-cols-1 gap-3 sm:grid-cols-3" aria-label="Pin to a tier">
            <input type="hidden" name="intent" value="pin" />
            <input type="hidden" name="memberId" value={memberId} />
            <SelectField label="Pin to tier" name="tierId" options={view.tiers.map((t) => ({ value: t.id, label: t.name }))} errors={errors.tierId} />
            <TextField label="Until (last day)" name="until" type="date" required errors={errors.until} />
            <TextAreaField label="Reason" name="reason" rows={1} maxLength={500} required errors={errors.reason} className="sm:col-span-1" />
            <FormErrors errors={errors[""] ?? null} />
            <div className="sm:col-span-3 flex gap-2">
              <Button type="submit" size="sm" disabled={pin.state !== "idle"}>
                Pin
              </Button>
              {view.pin ? (
                <Button type="button" size="sm" variant="secondary" disabled={unpin.state !== "idle"} onClick={() => unpin.submit({ intent: "unpin", memberId }, { method: "post", action: `/admin/${slug}/tiers` })}>
                  End pin now
                </Button>
              ) : null}
            </div>
            {pin.data?.saved ? <p role="status" className="text-emerald-700 sm:col-span-3">Pinned.</p> : null}
            {unpin.data?.error ? <p role="alert" className="text-red-700 sm:col-span-3">{unpin.data.error}</p> : null}
          </pin.Form>
        ) : null}
      </div>
      {history.length ? (
        <Table caption="Tier history">
          <thead>
            <tr>
              <Th>When</Th>
              <Th>Change</Th>
              <Th>From → to</Th>
              <Th>Note</Th>
            </tr>
          </thead>
          <tbody>
            {history.map((h) => (
              <tr key={h.id}>
                <Td>{tierDate(h.at, view.timezone)}</Td>
                <Td>{REASONS[h.reason]}</Td>
                <Td>
                  {h.fromName ?? "none"} → {h.toName ?? "none"}
                </Td>
                <Td>{h.note ?? ""}</Td>
              </tr>
            ))}
          </tbody>
        </Table>
      ) : null}
    </Card>
  );
}
