import { apiJson } from "~/api/errors";
import { apiHandler, authenticate, queryObject, readPost, requireMethod, runPost } from "~/api/request.server";
import { ListMembersQuery, toApiMember, UpsertMemberBody } from "~/api/schemas";
import { db, withTenant } from "~/db.server";
import { upsertMember } from "~/domain/members/members.server";
import { listMembers } from "~/domain/members/search.server";
import { awardProfileBonusIfComplete, awardSignupBonus } from "~/domain/points/earning.server";
import { attributeMember } from "~/domain/referrals/attribution.server";
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
    const { member, created } = await upsertMember(
      trx,
      auth.merchantId,
      { email: input.email, name: input.name, birthday: input.birthday, externalId: input.external_id },
      auth.actor,
    );
    // Joining and completing a profile earn the merchant's bonuses (once each; keyed per member in the ledger).
    if (created) await awardSignupBonus(trx, auth.merchantId, member.id, auth.actor);
    // Referrals (issue 5): a refused code (unknown, self, …) is the request's error, naming the field.
    if (created && input.referral_code) {
      await attributeMember(trx, auth.merchantId, { memberId: member.id, code: input.referral_code, via: "api", actor: auth.actor }).catch((e: unknown) => {
        throw e instanceof DomainError && e.field === "code" ? new DomainError(e.code, e.message, { status: e.status, field: "referral_code" }) : e;
      });
    }
    await awardProfileBonusIfComplete(trx, auth.merchantId, member, auth.actor);
    return { status: created ? 201 : 200, body: toApiMember(member) };
  });
});
