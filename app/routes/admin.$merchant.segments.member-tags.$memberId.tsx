import { data, type ActionFunctionArgs } from "@remix-run/node";
import { clientIp, requireStaff } from "~/web/guards.server";
import { db, withTenant } from "~/db.server";
import { setMemberTags, TagsInput } from "~/domain/segments/segments.server";
import { orNotFound } from "~/web/form-action.server";
import { readForm } from "~/lib/forms.server";
import { isId } from "~/lib/ids";

// POST tags=<comma separated>: replaces a member's tags (the member page's tags panel posts here).
export async function action({ request, params }: ActionFunctionArgs) {
  const { merchant, user } = await requireStaff(request, params.merchant, "admin");
  const memberId = params.memberId ?? "";
  if (!isId("member", memberId)) throw new Response("Member not found", { status: 404 });
  const parsed = TagsInput.safeParse((await readForm(request)).get("tags") ?? "");
  if (!parsed.success) return data({ error: parsed.error.issues[0]?.message ?? "Invalid tags" }, { status: 400 });
  const actor = { type: "staff" as const, id: user.id, ip: clientIp(request) };
  const tags = await orNotFound(withTenant(db(), merchant.id, (trx) => setMemberTags(trx, merchant.id, memberId, parsed.data, actor)), "Member not found");
  return { tags };
}
