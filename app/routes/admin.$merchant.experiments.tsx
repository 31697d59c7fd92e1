import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { clientIp, requireStaff, roleAtLeast } from "~/web/guards.server";
import { ExperimentsList, ProgramHoldoutForm, CustomExperimentForm } from "~/components/reports/experiments";
import { Alert, PageHeader } from "~/components/ui";
import { db, withTenant } from "~/db.server";
import { createCustomExperiment, ExperimentActionSchema, setProgramHoldout, stopExperiment } from "~/domain/experiments/manage.server";
import { domainErrorData } from "~/web/form-action.server";
import { readForm } from "~/lib/forms.server";

export const meta: MetaFunction = () => [{ title: "Holdouts and experiments · Perennial admin" }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant, role } = await requireStaff(request, params.merchant, "analyst");
  const experiments = await withTenant(db(), merchant.id, (trx) =>
    trx
      .selectFrom("experiments as e")
      .select(["e.id", "e.kind", "e.name", "e.assignment", "e.holdout_bps", "e.status", "e.created_at"])
      .where("e.merchant_id", "=", merchant.id)
      .orderBy("e.created_at", "desc")
      .limit(200)
      .execute(),
  );
  return { slug: merchant.slug, canEdit: roleAtLeast(role, "admin"), experiments: experiments.map((e) => ({ ...e, created_at: e.created_at.toISOString() })) };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { merchant, user } = await requireStaff(request, params.merchant, "admin");
  const form = Object.fromEntries(await readForm(request));
  const parsed = ExperimentActionSchema.safeParse(form);
  if (!parsed.success) {
    const errors: Record<string, string[]> = {};
    for (const i of parsed.error.issues) (errors[String(i.path[0] ?? "form")] ??= []).push(i.message);
    return data({ ok: false as const, intent: String(form.intent ?? ""), kind: String(form.kind ?? ""), errors, message: null }, { status: 400 });
  }
  const actor = { type: "staff" as const, id: user.id, ip: clientIp(request) };
  const input = parsed.data;
  try {
    const message = await withTenant(db(), merchant.id, async (trx) => {
      if (input.intent === "program-holdout") {
        await setProgramHoldout(trx, merchant.id, input.kind, input.holdoutPercent, actor);
        return `${input.kind === "loyalty_program" ? "Loyalty" : "Referral"} program holdout set to ${input.holdoutPercent}% for members assigned from now on.`;
      }
      if (input.intent === "custom") {
        const e = await createCustomExperiment(trx, merchant.id, input, actor);
        return `Created “${e.name}” (${e.id}).`;
      }
      await stopExperiment(trx, merchant.id, input.experimentId, actor);
      return "Stopped: nobody new is assigned; existing assignments stay.";
    });
    return data({ ok: true as const, intent: input.intent, kind: "kind" in input ? input.kind : "", errors: {} as Record<string, string[]>, message });
  } catch (err) {
    return domainErrorData(err, (e) => ({ ok: false as const, intent: input.intent, kind: "kind" in input ? input.kind : "", errors: { [e.field ?? "form"]: [e.message] }, message: null }), { notFound: "Not found" });
  }
}

export default function Experiments() {
  const { slug, canEdit, experiments } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const program = (kind: "loyalty_program" | "referral_program") => experiments.find((e) => e.kind === kind);
  const errorsFor = (intent: string, kind = "") => (result && !result.ok && result.intent === intent && (!kind || result.kind === kind) ? result.errors : undefined);
  return (
    <>
      <PageHeader
        title="Holdouts and experiments"
        description={
          <>
            A randomized share of members is held out of a program so its effect can be measured. Arms are drawn at enrollment and never change. See the{" "}
            <Link to={`/admin/${slug}/reports`} className="text-brand-700 underline">
              reports
            </Link>
            .
          </>
        }
      />
      <div className="space-y-6">
        {result?.ok ? <Alert tone="success">{result.message}</Alert> : null}
        {canEdit ? null : <Alert tone="info">Only admins and owners can change holdouts and experiments.</Alert>}
        <div className="grid gap-6 md:grid-cols-2">
          <ProgramHoldoutForm
            kind="loyalty_program"
            title="Loyalty program holdout"
            current={program("loyalty_program")}
            disabled={!canEdit}
            errors={errorsFor("program-holdout", "loyalty_program")}
            help="Held-out members get no points and no tiers, and the portal tells them the program is not available to them."
          />
          <ProgramHoldoutForm
            kind="referral_program"
            title="Referral program holdout"
            current={program("referral_program")}
            disabled={!canEdit}
            errors={errorsFor("program-holdout", "referral_program")}
            help="Held-out members get no referral link or incentive."
          />
        </div>
        <CustomExperimentForm disabled={!canEdit} errors={errorsFor("custom")} />
        <ExperimentsList slug={slug} rows={experiments} canEdit={canEdit} />
      </div>
    </>
  );
}
