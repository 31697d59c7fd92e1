import { randomUUID } from "node:crypto";
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { z } from "zod";
import { clientIp, requireMember } from "~/web/guards.server";
import { PortalLink } from "~/components/portal/portal-shell";
import { ProgramUnavailable } from "~/components/portal/program-unavailable";
import { Alert, Badge, Button, Card, EmptyState } from "~/components/ui";
import { db, withTenant } from "~/db.server";
import { assignLoyaltyArm } from "~/domain/rewards/eligibility.server";
import { grantReward } from "~/domain/rewards/grant.server";
import { readForm } from "~/lib/forms.server";
import { domainErrorData } from "~/web/form-action.server";
import { portalRewardsPage } from "~/web/presenters/rewards.server";

export const meta: MetaFunction = () => [{ title: "Rewards" }];

/** The catalog for this member: what they can afford now, what is missing, and a confirmation step before redeeming. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant, member } = await requireMember(request, params.merchant);
  const page = await portalRewardsPage(merchant, member.id, new URL(request.url).searchParams.get("confirm"));
  // A fresh idempotency key for the confirmation this render shows.
  return { ...page, key: randomUUID() };
}

const RedeemSchema = z.object({ rewardId: z.string().min(1).max(64), key: z.string().uuid() });

export async function action({ request, params }: ActionFunctionArgs) {
  const { merchant, member } = await requireMember(request, params.merchant);
  const parsed = RedeemSchema.safeParse(Object.fromEntries(await readForm(request)));
  if (!parsed.success) return data({ error: "Choose a reward to redeem." }, { status: 400 });
  await assignLoyaltyArm(merchant.id, member.id);
  try {
    const r = await withTenant(db(), merchant.id, (trx) =>
      grantReward(trx, merchant.id, {
        memberId: member.id,
        rewardId: parsed.data.rewardId,
        // One key per rendered confirmation: a double click or a resubmitted form redeems once.
        idempotencyKey: `portal:${member.id}:${parsed.data.key}`,
        source: "redeem",
        chargePoints: true,
        actor: { type: "member", id: member.id, ip: clientIp(request) },
      }),
    );
    return redirect(`/p/${merchant.slug}/rewards/mine?new=${r.redemptionId}`);
  } catch (err) {
    return domainErrorData(err, (e) => ({ error: e.message }));
  }
}

export default function PortalRewards() {
  const { slug, programName, heldOut, available, rewards, confirming, key } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const nav = useNavigation();
  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight text-stone-900">Rewards</h1>
        <p className="mt-1 text-sm text-stone-600">
          {heldOut ? null : <>You have {available.toLocaleString("en-US")} points to spend. </>}
          <PortalLink to={`/p/${slug}/rewards/mine`}>My rewards</PortalLink>
        </p>
      </div>
      {heldOut ? <ProgramUnavailable programName={programName} /> : null}
      {result?.error ? <Alert tone="error">{result.error}</Alert> : null}
      {confirming ? (
        <Card title={`Redeem ${confirming.name}?`}>
          <p className="text-sm text-stone-700">
            {confirming.summary}. This uses {confirming.pointsCost.toLocaleString("en-US")} of your {available.toLocaleString("en-US")} points.
          </p>
          <Form method="post" className="mt-4 flex gap-2">
            <input type="hidden" name="rewardId" value={confirming.id} />
            <input type="hidden" name="key" value={key} />
            <Button type="submit" busy={nav.state === "submitting"}>
              Confirm and redeem
            </Button>
            <PortalLink to={`/p/${slug}/rewards`}>Cancel</PortalLink>
          </Form>
        </Card>
      ) : null}
      {!heldOut && rewards.length === 0 ? <EmptyState title="No rewards yet">{programName} has not added rewards yet.</EmptyState> : null}
      <ul className="grid gap-4 sm:grid-cols-2">
        {rewards.map((r) => (
          <li key={r.id}>
            <Card title={r.name}>
              <p className="text-sm text-stone-700">{r.summary}</p>
              {r.description ? <p className="mt-1 text-sm text-stone-600">{r.description}</p> : null}
              <p className="mt-3 text-sm font-medium text-stone-900">{r.atCheckout ? "Use at checkout" : `${r.pointsCost.toLocaleString("en-US")} points`}</p>
              <div className="mt-3">
                {r.atCheckout ? null : !r.tierOk ? (
                  <Badge>Needs a higher tier</Badge>
                ) : r.soldOut ? (
                  <Badge tone="red">Out of stock</Badge>
                ) : r.missing > 0 ? (
                  <Badge tone="amber">{r.missing.toLocaleString("en-US")} more points needed</Badge>
                ) : (
                  <div className="flex items-center gap-3">
                    <Badge tone="green">You can afford this</Badge>
                    <PortalLink to={`/p/${slug}/rewards?confirm=${r.id}`}>Redeem {r.name}</PortalLink>
                  </div>
                )}
              </div>
            </Card>
          </li>
        ))}
      </ul>
    </div>
  );
}
