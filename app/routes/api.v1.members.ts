import { apiJson } from "~/api/errors";
import { apiHandler, authenticate, queryObject, readPost, requireMethod, runPost } from "~/api/request.server";
import { ListMembersQuery, toApiMember, UpsertMemberBody } from "~/api/schemas";
import { db, withTenant } from "~/db.server";
import { enrollMember } from "~/domain/flows/enrolment.server";
import { listMembers } from "~/domain/members/search.server";
import { DomainError } from "~/lib/errors";

// GET /api/v1/members — one page of members, newest first.
export const loader = apiHandler(async ({ request }) => {
  const auth = await authenticate(request, "members:read");
  const query = ListMembersQuery.parse(queryObject(request));
  const page = await withTenant(db(), auth.merchantId, (trx) => listMembers(trx, auth.merchantId, query));
  return apiJson({ data: page.rows.map(toApiMember), next_cursor: page.nextCursor });
});

// POST /api/v1/members — create or update (201 / 200), idempotent with Idempotency-Key.
export const action = apiHandler(async ({ request }) => {
  requireMethod(request, "POST");
  const auth = await authenticate(request, "members:write");
  const post = await readPost(request);
  const input = UpsertMemberBody.parse(post.body);
  return runPost(request, auth, post, async (trx) => {
    const { member, created } = await enrollMember(
      trx,
      { id: auth.merchantId },
      { email: input.email, name: input.name, birthday: input.birthday, externalId: input.external_id },
      { channel: "api_members", actor: auth.actor, referral: { typedCode: input.referral_code } },
    ).catch((e: unknown) => {
      // A refused referral code (unknown, self, …) is the request's error, naming the request's field.
      throw e instanceof DomainError && e.field === "code" ? new DomainError(e.code, e.message, { field: "referral_code" }) : e;
    });
    return { status: created ? 201 : 200, body: toApiMember(member) };
  });
});
