import { requireMember } from "~/api/points.server";
import { AttributeBody, toApiAttribution } from "~/api/referrals-schemas";
import { apiHandler, authenticate, methodNotAllowed, readKeyedPost, requireMethod, runPost } from "~/api/request.server";
import { attributeMember } from "~/domain/flows/referral-rewards.server";
import { DomainError } from "~/lib/errors";

// POST /api/v1/referrals/attributions — attribute an existing member (id, external_id or e-mail) to a referral code.
export const action = apiHandler(async ({ request }) => {
  requireMethod(request, "POST");
  const auth = await authenticate(request, "referrals:write");
  const post = await readKeyedPost(request);
  const input = AttributeBody.parse(post.body);
  return runPost(request, auth, post, async (trx) => {
    const ref = input.member;
    let memberId: string;
    if (ref.id !== undefined) memberId = (await requireMember(trx, auth, ref.id, "member.id")).id;
    else {
      const found = await trx
        .selectFrom("members")
        .select("id")
        .where("merchant_id", "=", auth.merchantId)
        .$if(ref.external_id !== undefined, (q) => q.where("external_id", "=", ref.external_id!))
        .$if(ref.external_id === undefined, (q) => q.where("email", "=", ref.email!))
        .executeTakeFirst();
      if (!found) throw new DomainError("not_found", "Member not found", { field: ref.external_id !== undefined ? "member.external_id" : "member.email" });
      memberId = found.id;
    }
    const r = await attributeMember(trx, auth.merchantId, { memberId, code: input.code, via: "api", actor: auth.actor });
    return { status: r.created ? 201 : 200, body: toApiAttribution(memberId, r) };
  });
});

export const loader = methodNotAllowed("POST");
