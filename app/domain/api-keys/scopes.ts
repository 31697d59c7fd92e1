import { z } from "zod";

/**
 * Every scope an API key can carry, in one place: the settings form, the domain, the OpenAPI document and the
 * route checks all read this list, so adding a capability (e.g. `points:write`) is one line here plus its routes.
 * Scopes are explicit: `members:write` does not imply `members:read`.
 */
export const API_SCOPES = {
  "members:read": "List and read members, and their CLTV scores",
  "members:write": "Create and update members",
  "orders:write": "Record orders, refunds and custom events (these earn and reverse points)",
  "points:read": "Read members' points balances and ledgers",
  "points:write": "Spend and adjust members' points",
  "reports:read": "Read the incrementality reports (incremental CLTV of each program against its holdout) and the current CLTV model",
  "offers:read": "List the offers a member can see, and segments",
  "offers:write": "Claim offers for members",
  "rewards:read": "Read the reward catalog and members' redemptions; validate reward codes",
  "rewards:write": "Manage the reward catalog, redeem rewards and use or release reward codes at checkout",
  "referrals:read": "Read members' referral codes, referrals and network value, and the fraud review queue",
  "referrals:write": "Attribute members to referral codes and decide fraud review items",
  "settings:write": "Change the CLTV settings (margin, costs, discount rate, model fitting, how points-funded rewards are costed)",
} as const;

export type ApiScope = keyof typeof API_SCOPES;

export const API_SCOPE_NAMES = Object.keys(API_SCOPES) as [ApiScope, ...ApiScope[]];

export const apiScopeSchema = z.enum(API_SCOPE_NAMES);

export function isApiScope(value: string): value is ApiScope {
  return Object.hasOwn(API_SCOPES, value);
}

/** What a new key needs; shared by the settings form, the CLI and the domain's own defensive check. */
export const newApiKeySchema = z.object({
  name: z
    .string({ error: "Name is required" })
    .trim()
    .min(1, "Name is required")
    .max(80, "Name must be at most 80 characters"),
  scopes: z
    .array(apiScopeSchema, { error: "Choose at least one scope" })
    .min(1, "Choose at least one scope")
    .max(50, "Too many scopes")
    .transform((s) => [...new Set(s)].sort()),
});

export type NewApiKeyInput = z.input<typeof newApiKeySchema>;

/** The API keys settings page posts one of two forms; the hidden `intent` field picks the schema. */
export const ApiKeyActionSchema = z.discriminatedUnion("intent", [
  newApiKeySchema.extend({ intent: z.literal("create") }),
  z.object({ intent: z.literal("revoke"), keyId: z.string().min(1).max(64) }),
]);
