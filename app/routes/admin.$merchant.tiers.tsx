import { parseWithZod } from "@conform-to/zod/v4";
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { now } from "~/lib/clock.server";
import { clientIp, requireStaff } from "~/auth/guards.server";
import { TierEditor } from "~/components/tiers/tier-editor";
import { TierJobProgress } from "~/components/tiers/tier-job-progress";
import { Card, PageHeader, Table, Td, Th } from "~/components/ui";
import { db, withTenant } from "~/db.server";
import type { Actor } from "~/domain/audit/audit.server";
import { latestTierJob, saveTierProgram } from "~/domain/tiers/definitions.server";
import { tierFormSchema } from "~/domain/tiers/form";
import { formatFigure, loadTierProgram, pinMemberTier, unpinMemberTier } from "~/domain/tiers/tiers.server";
import { DomainError } from "~/lib/errors";
import { readForm, replyWithDomainError } from "~/lib/forms.server";
import { isId } from "~/lib/ids";
import { localInputToIso } from "~/domain/points/rules-form";

export const meta: MetaFunction = () => [{ title: "Tiers" }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant, role } = await requireStaff(request, params.merchant, "analyst");
  const { program, job, counts } = await withTenant(db(), merchant.id, async (trx) => ({
    program: await loadTierProgram(trx, merchant.id),
    job: await latestTierJob(trx, merchant.id),
    counts: await trx
      .selectFrom("member_tiers")
      .select(["tier_id", (eb) => eb.fn.countAll<string>().as("n")])
      .where("merchant_id", "=", merchant.id)
      .where("tier_id", "is not", null)
      .groupBy("tier_id")
      .execute(),
  }));
  const members = Object.fromEntries(counts.map((c) => [c.tier_id!, Number(c.n)]));
  return {
    program: { settings: program.settings, tiers: program.tiers },
    thresholds: program.tiers.map((t) => formatFigure(program, t.threshold)),
    members,
    job,
    role,
    currency: merchant.currency,
  };
}

const PinSchema = z.object({
  memberId: z.string().refine((v) => isId("member", v), "Unknown member"),
  tierId: z.string({ error: "Choose a tier" }).min(1, "Choose a tier"),
  until: z.string({ error: "Choose the date the pin ends" }).min(1, "Choose the date the pin ends"),
  reason: z.string({ error: "Say why" }).trim().min(1, "Say why").max(500, "At most 500 characters"),
});
const UnpinSchema = z.object({ memberId: z.string().refine((v) => isId("member", v), "Unknown member") });

export async function action({ request, params }: ActionFunctionArgs) {
  const { merchant, user } = await requireStaff(request, params.merchant, "admin");
  const form = await readForm(request);
  const actor: Actor = { type: "staff", id: user.id, ip: clientIp(request) };
  const intent = form.get("intent");

  if (intent === "pin") {
    const submission = parseWithZod(form, { schema: PinSchema });
    // The member id is the page's own; it is never echoed back (it may be another merchant's).
    if (submission.status !== "success") return data({ intent: "pin" as const, result: submission.reply({ hideFields: ["memberId"] }), saved: false }, { status: 400 });
    const v = submission.value;
    // The date is a local date in the merchant's zone: the pin lasts through the end of that day.
    const untilIso = /^\d{4}-\d{2}-\d{2}$/.test(v.until) ? localInputToIso(`${v.until}T00:00`, merchant.timezone) : null;
    if (!untilIso) return data({ intent: "pin" as const, result: submission.reply({ fieldErrors: { until: ["Choose a valid date"] }, hideFields: ["memberId"] }), saved: false }, { status: 400 });
    const until = new Date(new Date(untilIso).getTime() + 86_400_000);
    try {
      await withTenant(db(), merchant.id, (trx) => pinMemberTier(trx, merchant.id, v.memberId, { tierId: v.tierId, until, reason: v.reason }, actor, now()));
      return { intent: "pin" as const, result: submission.reply({ resetForm: true, hideFields: ["memberId"] }), saved: true };
    } catch (err) {
      const reply = replyWithDomainError(submission, err, { fields: ["tierId", "until", "reason"], hideFields: ["memberId"] });
      return data({ intent: "pin" as const, result: reply.data.result, saved: false }, reply.init ?? undefined);
    }
  }

  if (intent === "unpin") {
    const parsed = UnpinSchema.safeParse(Object.fromEntries(form));
    if (!parsed.success) return data({ intent: "unpin" as const, result: null, saved: false, error: "Unknown member" }, { status: 400 });
    try {
      await withTenant(db(), merchant.id, (trx) => unpinMemberTier(trx, merchant.id, parsed.data.memberId, actor, now()));
      return { intent: "unpin" as const, result: null, saved: true };
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      return data({ intent: "unpin" as const, result: null, saved: false, error: err.message }, { status: err.status });
    }
  }

  const submission = parseWithZod(form, { schema: tierFormSchema({ currency: merchant.currency }) });
  // status undefined: a list add/remove submitted without JavaScript, not a save.
  if (submission.status !== "success") {
    return data({ intent: "save" as const, result: submission.reply(), saved: false }, { status: submission.status === "error" ? 400 : 200 });
  }
  try {
    const r = await withTenant(db(), merchant.id, (trx) => saveTierProgram(trx, merchant.id, submission.value, actor, now()));
    return { intent: "save" as const, result: submission.reply(), saved: r.changed };
  } catch (err) {
    const reply = replyWithDomainError(submission, err);
    return data({ intent: "save" as const, result: reply.data.result, saved: false }, reply.init ?? undefined);
  }
}

export default function TiersPage() {
  const { program, thresholds, members, job, role, currency } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const saveResult = actionData?.intent === "save" ? actionData : undefined;
  return (
    <>
      <PageHeader title="Tiers" description="Membership tiers: who qualifies, what each tier gives, and how members move between them." />
      <div className="space-y-6">
        <TierJobProgress job={job} />
        {program.tiers.length ? (
          <Card title="Members by tier">
            <Table caption="Members holding each tier">
              <thead>
                <tr>
                  <Th>Tier</Th>
                  <Th>Threshold</Th>
                  <Th>Earning</Th>
                  <Th className="text-right">Members</Th>
                </tr>
              </thead>
              <tbody>
                {program.tiers.map((t, i) => (
                  <tr key={t.id}>
                    <Td>{t.name}</Td>
                    <Td>{thresholds[i]}</Td>
                    <Td>{t.earningPercent}%</Td>
                    <Td className="text-right tabular-nums">{(members[t.id] ?? 0).toLocaleString("en-US")}</Td>
                  </tr>
                ))}
              </tbody>
            </Table>
          </Card>
        ) : null}
        <TierEditor key={JSON.stringify(program)} program={program} role={role} currency={currency} lastResult={saveResult?.result} saved={saveResult?.saved} />
      </div>
    </>
  );
}
