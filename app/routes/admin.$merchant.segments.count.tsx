import type { LoaderFunctionArgs } from "@remix-run/node";
import { now } from "~/lib/clock.server";
import { requireStaff } from "~/web/guards.server";
import type { BuilderPreview } from "~/components/segments/segment-builder";
import { db, withTenant } from "~/db.server";
import { parseRuleJson } from "~/domain/segments/rule";
import { countSegment, previewSegment } from "~/domain/segments/segments.server";

// GET ?rule=<json>: the builder's live member count and a preview of matching members (a resource route).
export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant } = await requireStaff(request, params.merchant, "analyst");
  const parsed = parseRuleJson(new URL(request.url).searchParams.get("rule"));
  if (!parsed.ok) return Response.json({ count: 0, members: [], error: parsed.message } satisfies BuilderPreview, { status: 400 });
  const at = now();
  const body = await withTenant(db(), merchant.id, async (trx) => ({
    count: await countSegment(trx, merchant.id, parsed.rule, at),
    members: await previewSegment(trx, merchant.id, parsed.rule, at, 10),
  }));
  return Response.json(body satisfies BuilderPreview);
}
