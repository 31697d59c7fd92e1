import { data, type ActionFunctionArgs } from "@remix-run/node";
import { clientIp, requireStaff } from "~/auth/guards.server";
import { db, withTenant } from "~/db.server";
import { setMemberTags, TagsInput } from "~/domain/segments/segments.server";
import { DomainError } from "~/lib/errors";
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
  try {
    const tags = await withTenant(db(), merchant.id, (trx) => setMemberTags(trx, merchant.id, memberId, parsed.data, actor));
    return { tags };
  } catch (err) {
    if (err instanceof DomainError && err.code === "not_found") throw new Response("Member not found", { status: 404 });
    throw err;
  }
}
