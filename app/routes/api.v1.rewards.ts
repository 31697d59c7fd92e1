import { apiJson } from "~/api/errors";
import { CreateRewardBody, toApiReward, toRewardInput } from "~/api/rewards-schemas";
import { apiHandler, authenticate, readPost, requireMethod, runPost } from "~/api/request.server";
import { db, withTenant } from "~/db.server";
import { createReward, listRewards } from "~/domain/rewards/catalog.server";
import { RewardInputSchema } from "~/domain/rewards/schemas";
import { DomainError } from "~/lib/errors";

// GET /api/v1/rewards — the active catalog, cheapest first.
export const loader = apiHandler(async ({ request }) => {
  const auth = await authenticate(request, "rewards:read");
  const rows = await withTenant(db(), auth.merchantId, (trx) => listRewards(trx, auth.merchantId));
  return apiJson({ data: rows.map(toApiReward) });
});

// POST /api/v1/rewards — adds a reward to the catalog (audited with the key as actor).
export const action = apiHandler(async ({ request }) => {
  requireMethod(request, "POST");
  const auth = await authenticate(request, "rewards:write");
  const post = await readPost(request);
  const body = CreateRewardBody.parse(post.body);
  const input = RewardInputSchema.safeParse(toRewardInput(body));
  if (!input.success) {
    // The domain names fields in camelCase; the API's are snake_case.
    const issue = input.error.issues[0]!;
    const field = String(issue.path[0] ?? "").replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    throw new DomainError("validation_failed", issue.message, { field });
  }
  return runPost(request, auth, post, async (trx) => ({ status: 201, body: toApiReward(await createReward(trx, auth.merchantId, input.data, auth.actor)) }));
});
