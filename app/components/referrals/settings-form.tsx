import { getFormProps, getInputProps, getSelectProps, getTextareaProps, useForm, type FieldMetadata, type SubmissionResult } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { Form, useNavigation } from "@remix-run/react";
import { useMemo } from "react";
import { Alert, Button, Card, FormErrors, SelectField, TextAreaField, TextField } from "~/components/ui";
import { formatMajorAmount } from "~/web/forms/fields";
import type { ReferralSettings } from "~/domain/referrals/settings";
import { minorDigits } from "~/lib/money";
import { LEVELS, QUALIFYING_KINDS, QUALIFYING_LABEL, referralSettingsFormSchema, settingsFormDefaults, type LevelField } from "~/web/forms/referral-settings";

type Field = FieldMetadata<string | number | boolean | undefined>;

function NumberField({ field, label, hint, ...rest }: { field: Field; label: string; hint?: React.ReactNode } & React.InputHTMLAttributes<HTMLInputElement>) {
  return <TextField label={label} hint={hint} inputMode="numeric" {...getInputProps(field as FieldMetadata<string>, { type: "text", ariaAttributes: false })} key={field.key} errors={field.errors} {...rest} />;
}

function Select({ field, label, options, hint }: { field: Field; label: string; options: Array<{ value: string; label: string }>; hint?: string }) {
  return <SelectField label={label} hint={hint} {...getSelectProps(field as FieldMetadata<string>, { ariaAttributes: false })} key={field.key} errors={field.errors} options={options} />;
}

export interface CatalogRewardOption {
  id: string;
  name: string;
}

function RewardFields({
  who,
  kind,
  points,
  rewardId,
  rewards,
}: {
  who: string;
  kind: Field;
  points: Field;
  rewardId: Field;
  rewards: CatalogRewardOption[];
}) {
  const options = [
    { value: "none", label: "Nothing" },
    { value: "points", label: "Points" },
    ...(rewards.length || kind.value === "reward" ? [{ value: "reward", label: "A reward from the catalog" }] : []),
  ];
  return (
    <div className="grid grid-cols-1 gap-4 sm:grid-cols-3">
      <Select field={kind} label={`${who} gets`} options={options} />
      {kind.value === "points" ? <NumberField field={points} label={`${who}'s points`} hint="A whole number, 1 to 1,000,000." /> : null}
      {kind.value === "reward" ? (
        <Select field={rewardId} label={`${who}'s reward`} options={[{ value: "", label: "Choose a reward" }, ...rewards.map((r) => ({ value: r.id, label: r.name }))]} />
      ) : null}
    </div>
  );
}

/** The referral program's settings: what qualifies, rewards and caps, levels, attribution and fraud limits. */
export function ReferralSettingsForm({
  settings,
  currency,
  rewards,
  editable,
  lastResult,
}: {
  settings: ReferralSettings;
  currency: string;
  rewards: CatalogRewardOption[];
  editable: boolean;
  lastResult?: SubmissionResult<string[]>;
}) {
  const busy = useNavigation().state === "submitting";
  const defaults = useMemo(() => settingsFormDefaults(settings, currency), [settings, currency]);
  const schema = useMemo(() => referralSettingsFormSchema(currency), [currency]);
  const [form, fields] = useForm({
    id: "referral-settings",
    lastResult,
    defaultValue: defaults,
    onValidate: ({ formData }) => parseWithZod(formData, { schema }),
    shouldValidate: "onBlur",
    shouldRevalidate: "onInput",
  });
  const f = fields as unknown as Record<string, Field>;
  const q = f.qualifyingKind!.value;
  const depth = Number(f.depthCap!.value) || 1;
  const digits = minorDigits(currency);

  return (
    <Form method="post" {...getFormProps(form)} className="space-y-6">
      {lastResult?.status === "success" ? <Alert tone="success">Referral settings saved.</Alert> : null}
      {!editable ? <Alert tone="info">You can view the referral settings; changing them needs the admin role.</Alert> : null}
      <FormErrors id={form.errorId} errors={form.errors} />
      <fieldset disabled={!editable} className="space-y-6">
        <Card title="Program">
          <div className="flex items-start gap-3">
            <input
              {...getInputProps(f.enabled as FieldMetadata<string>, { type: "checkbox", ariaAttributes: false })}
              key={f.enabled!.key}
              className="mt-1 size-4 rounded border-stone-300"
            />
            <label htmlFor={f.enabled!.id} className="text-sm text-stone-800">
              <span className="font-medium">Referral program on</span>
              <span className="block text-stone-600">Members get a link to share, and friends who join through it are attributed to them.</span>
            </label>
          </div>
        </Card>

        <Card title="When a referral qualifies">
          <div className="grid grid-cols-1 gap-4 sm:grid-cols-3">
            <Select field={f.qualifyingKind!} label="Qualifying event" options={QUALIFYING_KINDS.map((k) => ({ value: k, label: QUALIFYING_LABEL[k] }))} />
            {q === "first_order_above" ? (
              <TextField
                label={`Minimum order (${currency})`}
                hint={`Type an amount like ${formatMajorAmount(25 * 10 ** digits, digits)}.`}
                inputMode="decimal"
                {...getInputProps(f.minAmount as FieldMetadata<string>, { type: "text", ariaAttributes: false })}
                key={f.minAmount!.key}
                errors={f.minAmount!.errors}
              />
            ) : null}
            {q === "n_orders_within_days" ? (
              <>
                <NumberField field={f.orders!} label="Orders" />
                <NumberField field={f.days!} label="Within days" hint="Counted from the friend's sign-up." />
              </>
            ) : null}
          </div>
          <div className="mt-4 grid grid-cols-1 gap-4 sm:grid-cols-3">
            <NumberField field={f.holdDays!} label="Hold period (days)" hint="Match your return window: rewards wait this long and are reversed if the order is refunded meanwhile." />
          </div>
        </Card>

        <Card title="Rewards">
          <div className="space-y-5">
            <RewardFields who="The friend" kind={f.friendKind!} points={f.friendPoints!} rewardId={f.friendRewardId!} rewards={rewards} />
            <RewardFields who="The referrer" kind={f.referrerKind!} points={f.referrerPoints!} rewardId={f.referrerRewardId!} rewards={rewards} />
            <div className="grid grid-cols-1 gap-4 sm:grid-cols-3">
              <NumberField field={f.referrerCapPerMonth!} label="Referrer rewards per month" hint="Per referrer, in your time zone. Empty: no cap." />
              <NumberField field={f.referrerCapLifetime!} label="Referrer rewards in total" hint="Per referrer. Empty: no cap." />
            </div>
          </div>
        </Card>

        <Card title="Levels above the referrer">
          <p className="mb-4 text-sm text-stone-600">
            Level 1 is the direct referrer. Levels 2 and up credit the referrer's own referrer and so on, when the friend qualifies.
          </p>
          <div className="grid grid-cols-1 gap-4 sm:grid-cols-3">
            <NumberField field={f.depthCap!} label="Levels paid" hint="1 pays the direct referrer only; at most 10." />
          </div>
          {depth > 1 ? (
            <div className="mt-4 grid grid-cols-2 gap-4 sm:grid-cols-3 lg:grid-cols-5">
              {LEVELS.filter((l) => l <= depth).map((l) => (
                <NumberField key={l} field={f[`level${l}` satisfies LevelField]!} label={`Level ${l} points`} />
              ))}
            </div>
          ) : null}
        </Card>

        <Card title="Measuring the friend's welcome gift">
          <div className="grid grid-cols-1 gap-4 sm:grid-cols-2 lg:grid-cols-4">
            <NumberField field={f.friendHoldoutPercent!} label="Friend holdout (%)" hint="0 to 50; 0 turns it off." />
          </div>
          <FriendHoldoutTradeOff percent={Number(f.friendHoldoutPercent!.value) || 0} />
        </Card>

        <Card title="Attribution and fraud checks">
          <div className="grid grid-cols-1 gap-4 sm:grid-cols-2 lg:grid-cols-4">
            <NumberField field={f.cookieDays!} label="Link cookie lifetime (days)" hint="How long a click counts towards a later sign-up." />
            <NumberField field={f.velocityPerHour!} label="Sign-ups per hour before review" hint="Per referrer; more are flagged." />
            <NumberField field={f.ipWindowHours!} label="Same IP window (hours)" hint="Same IP and browser within it: flagged for review." />
            <NumberField field={f.invitesPerDay!} label="Invites per member per day" hint="E-mail invitations; 0 turns them off." />
          </div>
          <div className="mt-4">
            <TextAreaField
              label="Disposable e-mail domains"
              hint="One per line. Sign-ups from them are not rewarded."
              rows={5}
              {...getTextareaProps(f.disposableDomains as FieldMetadata<string>, { ariaAttributes: false })}
              key={f.disposableDomains!.key}
              errors={f.disposableDomains!.errors}
            />
          </div>
        </Card>
      </fieldset>
      {editable ? (
        <Button type="submit" busy={busy}>
          Save referral settings
        </Button>
      ) : null}
    </Form>
  );
}

/**
 * What the friend holdout costs and buys, in the merchant's terms, with the share they are typing (issue 17: the
 * setting explains the trade-off). Held-out friends keep the invitation and count for the referrer; only the gift
 * is withheld, so the report can tell what the gift itself adds.
 */
function FriendHoldoutTradeOff({ percent }: { percent: number }) {
  const share = Math.min(50, Math.max(0, Math.round(percent)));
  return (
    <div className="mt-4 space-y-2 text-sm text-stone-600">
      <p>
        {share > 0
          ? `About ${share} in 100 invited friends get no welcome gift. They still see who invited them, join as that member's referral, and count for the referrer, who is rewarded when they qualify.`
          : "Every invited friend gets the welcome gift. Turn the holdout on to learn how many of them would have joined and qualified without it."}
      </p>
      <p>
        The trade-off: a larger holdout measures the gift's effect sooner and more precisely, but more invited friends go without it, and some of them may
        not join at all. 10–30% is usual. While it is above 0, the Refer page, the landing page and the invitation e-mail tell members and friends
        that some invited friends receive no welcome gift as part of a measurement. The incrementality report shows the result.
      </p>
    </div>
  );
}
