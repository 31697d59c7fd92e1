import { beforeAll, describe, expect, it } from "vitest";
import { withTenant } from "~/db.server";
import { newId } from "~/lib/ids";
import { testDb } from "../../support/db";
import { createTenantFixture, type TenantFixture } from "../../support/tenancy";

/**
 * reliability.md M1: merchant A's staff session, member session and API key, pointed at merchant B's slug and ids on
 * every loader and action, get 403/404 (or a login redirect) — never B's data. The matrix is keyed by Remix route id
 * (`routes/<file>`, exactly the build manifest's ids, read here from app/routes); a route without an entry fails.
 */

type RouteModule = { loader?: (args: unknown) => unknown; action?: (args: unknown) => unknown };
const modules = import.meta.glob<RouteModule>("../../../app/routes/*.{ts,tsx}", { eager: true });
const routes = Object.fromEntries(
  Object.entries(modules).map(([file, mod]) => [`routes/${file.split("/").pop()!.replace(/\.(ts|tsx)$/, "")}`, mod]),
);

type Params = Record<string, string>;
interface Case {
  label: string;
  handler: "loader" | "action";
  as: "staff" | "member" | "api" | "anonymous";
  path: (A: TenantFixture, B: TenantFixture) => string;
  params: (A: TenantFixture, B: TenantFixture) => Params;
  method?: string;
  body?: (A: TenantFixture, B: TenantFixture) => BodyInit;
  contentType?: string;
  /** Extra request headers (e.g. the Idempotency-Key the points writes require). */
  headers?: Record<string, string>;
  /** Statuses that count as refused. Default: 403, 404, or a redirect to a login page. */
  expect?: number[];
  /** Strings of B that must not appear in the response (default: all of B's secrets and ids). */
  forbidden?: (B: TenantFixture) => string[];
}
type Entry = { public: string } | { cases: Case[] };

const form = (fields: Record<string, string> = {}) => new URLSearchParams(fields).toString();
const FORM = "application/x-www-form-urlencoded";

/** Admin routes: A's owner against B's slug (404), and, where the route takes an id, A's slug with B's id (404). */
function admin(id: string, path: string, opts: { ids?: (B: TenantFixture) => Params; actionBody?: Record<string, string> } = {}): Entry {
  const fill = (slug: string, ids: Params) => path.replace("$merchant", slug).replace(/\$(\w+)/g, (_, k: string) => ids[k] ?? `missing-${k}`);
  const route = routes[`routes/${id}`];
  const cases: Case[] = [];
  for (const handler of ["loader", "action"] as const) {
    if (!route?.[handler]) continue;
    const method = handler === "loader" ? "GET" : "POST";
    const body = handler === "action" ? () => form(opts.actionBody ?? { intent: "any" }) : undefined;
    cases.push({
      label: `${handler} with B's slug`,
      handler,
      as: "staff",
      method,
      body,
      contentType: FORM,
      path: (_A, B) => fill(B.slug, opts.ids?.(B) ?? {}),
      params: (_A, B) => ({ merchant: B.slug, ...(opts.ids?.(B) ?? {}) }),
      expect: [404],
    });
    if (opts.ids) {
      cases.push({
        label: `${handler} with A's slug and B's ids`,
        handler,
        as: "staff",
        method,
        body,
        contentType: FORM,
        path: (A, B) => fill(A.slug, opts.ids!(B)),
        params: (A, B) => ({ merchant: A.slug, ...opts.ids!(B) }),
        expect: handler === "action" ? [400, 404] : [404],
      });
    }
  }
  return { cases };
}

/** Portal routes: A's member token presented under B's cookie name must not authenticate at B. */
function portal(id: string, path: string, opts: { tokenParam?: boolean } = {}): Entry {
  const route = routes[`routes/${id}`];
  const cases: Case[] = [];
  for (const handler of ["loader", "action"] as const) {
    if (!route?.[handler]) continue;
    cases.push({
      label: `${handler} at B with A's member token`,
      handler,
      as: "member",
      method: handler === "loader" ? "GET" : "POST",
      body: handler === "action" ? () => form({}) : undefined,
      contentType: FORM,
      path: (_A, B) => path.replace("$merchant", B.slug).replace("$token", "ses_x.y"),
      params: (_A, B) => ({ merchant: B.slug, ...(opts.tokenParam ? { token: "ses_x.y" } : {}) }),
      // A login page, a form error or a public page are all fine, provided nothing of A's member or B's members shows.
      expect: [200, 302, 303, 400, 401, 403, 404],
      forbidden: (B) => [...B.secrets],
    });
  }
  return { cases };
}

const MATRIX: Record<string, Entry> = {
  "routes/_index": { public: "marketing page, no data" },
  "routes/login": { public: "staff login form; no tenant data" },
  "routes/signup": { public: "merchant sign-up form" },
  "routes/logout": { public: "revokes the caller's own session only" },
  "routes/forgot-password": { public: "same answer for every e-mail" },
  "routes/reset-password.$token": { public: "token-addressed; tokens are hashed and unguessable" },
  "routes/invite.$token": { public: "token-addressed; tokens are hashed and unguessable" },
  "routes/api.v1.docs": { public: "API reference layout, no data" },
  "routes/api.v1.docs._index": { public: "API reference index, no data" },
  "routes/api.v1.docs.$tag": { public: "API reference page of one tag, no data" },
  "routes/api.v1.openapi[.json]": { public: "OpenAPI document, no data" },
  "routes/api.v1.$": { public: "404 for unknown API paths" },
  "routes/admin._index": {
    cases: [
      {
        label: "merchant picker lists only A's merchants",
        handler: "loader",
        as: "staff",
        path: () => "/admin",
        params: () => ({}),
        expect: [200, 302],
        forbidden: (B) => [B.slug, B.merchantId],
      },
    ],
  },
  "routes/admin.$merchant": admin("admin.$merchant", "/admin/$merchant"),
  "routes/admin.$merchant._index": admin("admin.$merchant._index", "/admin/$merchant/", { actionBody: { intent: "refresh" } }),
  "routes/admin.$merchant.members._index": admin("admin.$merchant.members._index", "/admin/$merchant/members"),
  "routes/admin.$merchant.members.$memberId": admin("admin.$merchant.members.$memberId", "/admin/$merchant/members/$memberId", {
    ids: (B) => ({ memberId: B.memberId }),
    actionBody: { intent: "block" },
  }),
  "routes/admin.$merchant.programs": admin("admin.$merchant.programs", "/admin/$merchant/programs", {
    actionBody: { "earning.pointsPerUnit": "10000", "earning.rounding": "nearest", "bonuses.signup": "1000000", pendingDays: "0", "expiry.mode": "never", "pointValue.points": "1", "pointValue.amount": "0" },
  }),
  "routes/admin.$merchant.rewards": admin("admin.$merchant.rewards", "/admin/$merchant/rewards"),
  "routes/admin.$merchant.tiers": {
    cases: [
      ...(admin("admin.$merchant.tiers", "/admin/$merchant/tiers") as { cases: Case[] }).cases,
      {
        label: "action pinning B's member from A's admin",
        handler: "action",
        as: "staff",
        method: "POST",
        contentType: FORM,
        body: (_A, B) => form({ intent: "pin", memberId: B.memberId, tierId: "tie_x", until: "2099-01-01", reason: "x" }),
        path: (A) => `/admin/${A.slug}/tiers`,
        params: (A) => ({ merchant: A.slug }),
        expect: [404],
      },
    ],
  },
  "routes/admin.$merchant.referrals": admin("admin.$merchant.referrals", "/admin/$merchant/referrals"),
  "routes/admin.$merchant.referrals._index": admin("admin.$merchant.referrals._index", "/admin/$merchant/referrals/", { actionBody: { intent: "refresh" } }),
  "routes/admin.$merchant.referrals.tree.$memberId": admin("admin.$merchant.referrals.tree.$memberId", "/admin/$merchant/referrals/tree/$memberId", {
    ids: (B) => ({ memberId: B.memberId }),
    // A valid correction, so the action reaches the member lookup: B's member is not found under A.
    actionBody: { intent: "remove", reason: "tenancy check" },
  }),
  "routes/admin.$merchant.referrals.tree.$memberId.children": admin("admin.$merchant.referrals.tree.$memberId.children", "/admin/$merchant/referrals/tree/$memberId/children", {
    ids: (B) => ({ memberId: B.memberId }),
  }),
  "routes/admin.$merchant.referrals.review": admin("admin.$merchant.referrals.review", "/admin/$merchant/referrals/review", {
    actionBody: { reviewId: "rrv_aaaaaaaaaaaaaaaaaaaaaaaaaa", decision: "approve", reason: "tenancy probe" },
  }),
  "routes/admin.$merchant.referrals.settings": admin("admin.$merchant.referrals.settings", "/admin/$merchant/referrals/settings", {
    actionBody: { enabled: "on", qualifyingKind: "signup", holdDays: "0", friendKind: "points", friendPoints: "1000000", referrerKind: "none", depthCap: "1", cookieDays: "30", velocityPerHour: "1", ipWindowHours: "1", invitesPerDay: "0" },
  }),
  "routes/admin.$merchant.offers": admin("admin.$merchant.offers", "/admin/$merchant/offers"),
  "routes/admin.$merchant.reports._index": admin("admin.$merchant.reports._index", "/admin/$merchant/reports"),
  "routes/admin.$merchant.reports.$experimentId": admin("admin.$merchant.reports.$experimentId", "/admin/$merchant/reports/$experimentId", {
    ids: () => ({ experimentId: B_EXPERIMENT_ID }),
    actionBody: { intent: "refresh" },
  }),
  "routes/admin.$merchant.reports.$experimentId.export.$table": admin("admin.$merchant.reports.$experimentId.export.$table", "/admin/$merchant/reports/$experimentId/export/$table", {
    ids: () => ({ experimentId: B_EXPERIMENT_ID, table: "arms" }),
  }),
  "routes/admin.$merchant.experiments": admin("admin.$merchant.experiments", "/admin/$merchant/experiments", { actionBody: { intent: "stop", experimentId: "exp_aaaaaaaaaaaaaaaaaaaaaaaaaa" } }),
  "routes/admin.$merchant.cltv": admin("admin.$merchant.cltv", "/admin/$merchant/cltv", { actionBody: { intent: "refit" } }),
  "routes/admin.$merchant.cltv[.csv]": admin("admin.$merchant.cltv[.csv]", "/admin/$merchant/cltv.csv?table=segments"),
  "routes/admin.$merchant.subscriptions": admin("admin.$merchant.subscriptions", "/admin/$merchant/subscriptions"),
  "routes/admin.$merchant.settings.cltv": admin("admin.$merchant.settings.cltv", "/admin/$merchant/settings/cltv", {
    actionBody: { grossMarginPercent: "1", acquisitionCost: "0", retentionCostPerYear: "0", discountRatePercent: "0" },
  }),
  "routes/admin.$merchant.mailbox": admin("admin.$merchant.mailbox", "/admin/$merchant/mailbox"),
  "routes/admin.$merchant.mailbox._index": admin("admin.$merchant.mailbox._index", "/admin/$merchant/mailbox/"),
  "routes/admin.$merchant.mailbox.$emailId": admin("admin.$merchant.mailbox.$emailId", "/admin/$merchant/mailbox/$emailId", { ids: (B) => ({ emailId: B.emailId }) }),
  "routes/admin.$merchant.settings": admin("admin.$merchant.settings", "/admin/$merchant/settings"),
  "routes/admin.$merchant.settings._index": admin("admin.$merchant.settings._index", "/admin/$merchant/settings/", { actionBody: { name: "Hijacked", timezone: "UTC", brandColor: "#000000" } }),
  "routes/admin.$merchant.settings.team": admin("admin.$merchant.settings.team", "/admin/$merchant/settings/team", { actionBody: { intent: "invite", email: "x@evil.test", role: "owner" } }),
  "routes/admin.$merchant.settings.api-keys": admin("admin.$merchant.settings.api-keys", "/admin/$merchant/settings/api-keys", { actionBody: { intent: "create", name: "stolen", scopes: "members:read" } }),
  "routes/admin.$merchant.settings.email": admin("admin.$merchant.settings.email", "/admin/$merchant/settings/email", { actionBody: { intent: "send-test" } }),
  "routes/admin.$merchant.settings.stripe": admin("admin.$merchant.settings.stripe", "/admin/$merchant/settings/stripe", {
    actionBody: { intent: "save", webhookSecret: "whsec_hijackhijackhijackhijack" },
  }),
  // Signature-authenticated, no session: a delivery to B's endpoint not signed with B's secret is a 400, and says nothing of B.
  "routes/webhooks.stripe.$merchantId": {
    cases: [
      { label: "GET is not allowed", handler: "loader", as: "anonymous", path: (_A, B) => `/webhooks/stripe/${B.merchantId}`, params: (_A, B) => ({ merchantId: B.merchantId }), expect: [405] },
      {
        label: "unsigned event for B",
        handler: "action",
        as: "anonymous",
        method: "POST",
        contentType: "application/json",
        body: () => JSON.stringify({ id: "evt_tenancy", type: "checkout.session.completed", created: 1, data: { object: {} } }),
        headers: { "stripe-signature": "t=1,v1=00" },
        path: (_A, B) => `/webhooks/stripe/${B.merchantId}`,
        params: (_A, B) => ({ merchantId: B.merchantId }),
        expect: [400],
      },
    ],
  },
  "routes/admin.$merchant.imports._index": admin("admin.$merchant.imports._index", "/admin/$merchant/imports"),
  "routes/admin.$merchant.imports.$importId": admin("admin.$merchant.imports.$importId", "/admin/$merchant/imports/$importId", { ids: () => ({ importId: B_IMPORT_ID }) }),
  "routes/admin.$merchant.imports.$importId.errors[.csv]": admin("admin.$merchant.imports.$importId.errors[.csv]", "/admin/$merchant/imports/$importId/errors.csv", {
    ids: () => ({ importId: B_IMPORT_ID }),
  }),
  "routes/p.$merchant": portal("p.$merchant", "/p/$merchant"),
  "routes/p.$merchant._index": portal("p.$merchant._index", "/p/$merchant/"),
  "routes/p.$merchant.profile": portal("p.$merchant.profile", "/p/$merchant/profile"),
  "routes/p.$merchant.points": portal("p.$merchant.points", "/p/$merchant/points"),
  "routes/p.$merchant.tier": portal("p.$merchant.tier", "/p/$merchant/tier"),
  "routes/p.$merchant.refer": portal("p.$merchant.refer", "/p/$merchant/refer"),
  "routes/p.$merchant.r.$code": portal("p.$merchant.r.$code", "/p/$merchant/r/NOCODE1"),
  "routes/r.$code": { public: "short share link: redirects to the one portal with that code (a program's name is public), 404 otherwise" },
  "routes/p.$merchant.login": portal("p.$merchant.login", "/p/$merchant/login"),
  "routes/p.$merchant.signup": portal("p.$merchant.signup", "/p/$merchant/signup"),
  "routes/p.$merchant.logout": portal("p.$merchant.logout", "/p/$merchant/logout"),
  "routes/p.$merchant.forgot-password": portal("p.$merchant.forgot-password", "/p/$merchant/forgot-password"),
  "routes/p.$merchant.reset-password.$token": portal("p.$merchant.reset-password.$token", "/p/$merchant/reset-password/$token", { tokenParam: true }),
  "routes/api.v1.members": {
    cases: [
      { label: "list with A's key shows only A's members", handler: "loader", as: "api", path: () => "/api/v1/members", params: () => ({}), expect: [200] },
      {
        label: "upsert with B's member e-mail creates in A, never touches B",
        handler: "action",
        as: "api",
        method: "POST",
        contentType: "application/json",
        path: () => "/api/v1/members",
        params: () => ({}),
        body: (_A, B) => JSON.stringify({ email: B.memberEmail }),
        expect: [200, 201],
        forbidden: (B) => [B.memberId, B.merchantId, ...B.secrets.filter((s) => s !== B.memberEmail)],
      },
    ],
  },
  "routes/api.v1.members.$id": {
    cases: [
      { label: "get B's member with A's key", handler: "loader", as: "api", path: (_A, B) => `/api/v1/members/${B.memberId}`, params: (_A, B) => ({ id: B.memberId }), expect: [404] },
      {
        label: "write to B's member with A's key",
        handler: "action",
        as: "api",
        method: "POST",
        contentType: "application/json",
        body: () => JSON.stringify({ name: "Hijacked" }),
        path: (_A, B) => `/api/v1/members/${B.memberId}`,
        params: (_A, B) => ({ id: B.memberId }),
        expect: [404, 405],
      },
    ],
  },
  // Points API: A's key with B's member ids and order ids → 404; the wrong method → 405.
  "routes/api.v1.orders": pointsApi("/api/v1/orders", "action", (_A, B) => ({
    order_id: `tenancy-${crypto.randomUUID()}`,
    member: { id: B.memberId },
    amount_minor: 4250,
    currency: "USD",
    occurred_at: new Date().toISOString(),
  })),
  "routes/api.v1.refunds": pointsApi("/api/v1/refunds", "action", (_A, B) => ({
    // createTenantFixture names B's order `o-<tag>`, the tag being the end of its slug.
    order_id: `o-${B.slug.split("-").pop()}`,
    refund_id: "r1",
    amount_minor: 100,
  })),
  "routes/api.v1.events": pointsApi("/api/v1/events", "action", (_A, B) => ({ member: { id: B.memberId }, event: "review_posted" })),
  "routes/api.v1.members.$id.points": pointsApi("/api/v1/members/$id/points", "loader"),
  "routes/api.v1.members.$id.tier": pointsApi("/api/v1/members/$id/tier", "loader"),
  "routes/api.v1.members.$id.ledger": pointsApi("/api/v1/members/$id/ledger", "loader"),
  "routes/api.v1.members.$id.points.spend": pointsApi("/api/v1/members/$id/points/spend", "action", () => ({ points: 1, description: "tenancy" })),
  "routes/api.v1.members.$id.points.adjust": pointsApi("/api/v1/members/$id/points/adjust", "action", () => ({ points: 100, reason: "tenancy" })),
  "routes/api.v1.members.$id.referral": pointsApi("/api/v1/members/$id/referral", "loader"),
  "routes/api.v1.members.$id.referrals": pointsApi("/api/v1/members/$id/referrals", "loader"),
  "routes/api.v1.referrals.attributions": pointsApi("/api/v1/referrals/attributions", "action", (_A, B) => ({ member: { id: B.memberId }, code: "ABCD2345" })),
  "routes/api.v1.referrals.reviews.$id.decision": pointsApi("/api/v1/referrals/reviews/$id/decision", "action", () => ({ decision: "approve" })),
  "routes/api.v1.reports.incrementality": {
    cases: [
      {
        label: "B's experiment with A's key",
        handler: "loader",
        as: "api",
        path: () => `/api/v1/reports/incrementality?program=${B_EXPERIMENT_ID}`,
        params: () => ({}),
        expect: [403, 404],
      },
      { label: "POST (wrong method)", handler: "action", as: "api", method: "POST", contentType: "application/json", body: () => "{}", path: () => "/api/v1/reports/incrementality", params: () => ({}), expect: [405] },
    ],
  },
  "routes/api.v1.referrals.reviews": {
    cases: [
      {
        label: "list with A's key shows only A's review items",
        handler: "loader",
        as: "api",
        path: () => "/api/v1/referrals/reviews",
        params: () => ({}),
        expect: [200],
        forbidden: (B) => [B.memberId, B.merchantId],
      },
      {
        label: "action (wrong method)",
        handler: "action",
        as: "api",
        method: "POST",
        contentType: "application/json",
        headers: { "idempotency-key": crypto.randomUUID() },
        body: () => JSON.stringify({}),
        path: () => "/api/v1/referrals/reviews",
        params: () => ({}),
        expect: [405],
      },
    ],
  },
  "routes/admin.$merchant.rewards_.$rewardId": admin("admin.$merchant.rewards_.$rewardId", "/admin/$merchant/rewards/$rewardId", {
    ids: () => ({ rewardId: B_REWARD.id }),
    actionBody: { name: "Hijacked", kind: "fixed_discount", pointsCost: "1", discount: "100.00" },
  }),
  "routes/p.$merchant.rewards": portal("p.$merchant.rewards", "/p/$merchant/rewards"),
  "routes/p.$merchant.rewards_.mine": portal("p.$merchant.rewards_.mine", "/p/$merchant/rewards/mine"),
  "routes/api.v1.rewards": {
    cases: [
      { label: "list with A's key shows only A's rewards", handler: "loader", as: "api", path: () => "/api/v1/rewards", params: () => ({}), expect: [200], forbidden: (B) => [B_REWARD.id, B.merchantId] },
      {
        label: "create with A's key creates in A",
        handler: "action",
        as: "api",
        method: "POST",
        contentType: "application/json",
        body: () => JSON.stringify({ name: "Tenancy", kind: "fixed_discount", points_cost: 1, discount_minor: 100 }),
        path: () => "/api/v1/rewards",
        params: () => ({}),
        expect: [201],
        forbidden: (B) => [B_REWARD.id, B.merchantId],
      },
    ],
  },
  "routes/api.v1.rewards.$id": {
    cases: [
      { label: "B's reward id", handler: "loader", as: "api", path: () => `/api/v1/rewards/${B_REWARD.id}`, params: () => ({ id: B_REWARD.id }), expect: [404] },
      { label: "action (wrong method)", handler: "action", as: "api", method: "POST", path: () => `/api/v1/rewards/${B_REWARD.id}`, params: () => ({ id: B_REWARD.id }), expect: [405] },
    ],
  },
  "routes/api.v1.members.$id.redemptions": {
    cases: [
      { label: "list B's member's redemptions", handler: "loader", as: "api", path: (_A, B) => `/api/v1/members/${B.memberId}/redemptions`, params: (_A, B) => ({ id: B.memberId }), expect: [404] },
      {
        label: "redeem B's reward for B's member",
        handler: "action",
        as: "api",
        method: "POST",
        contentType: "application/json",
        headers: { "idempotency-key": crypto.randomUUID() },
        body: () => JSON.stringify({ reward_id: B_REWARD.id }),
        path: (_A, B) => `/api/v1/members/${B.memberId}/redemptions`,
        params: (_A, B) => ({ id: B.memberId }),
        expect: [404],
      },
    ],
  },
  "routes/api.v1.codes.validate": codesApi("/api/v1/codes/validate", () => ({ code: B_REWARD.code, order_amount_minor: 1000 })),
  "routes/api.v1.codes.use": codesApi("/api/v1/codes/use", () => ({ code: B_REWARD.code, order_id: "tenancy", order_amount_minor: 1000 })),
  "routes/api.v1.codes.release": codesApi("/api/v1/codes/release", () => ({ code: B_REWARD.code, order_id: "tenancy" })),
  // Segments and offers (issue 4): B's segment, offer and gift ids through A's session / key → 404.
  "routes/admin.$merchant.segments._index": admin("admin.$merchant.segments._index", "/admin/$merchant/segments"),
  "routes/admin.$merchant.segments.new": admin("admin.$merchant.segments.new", "/admin/$merchant/segments/new", { actionBody: { name: "Hijacked", rule: '{"type":"group","op":"all","conditions":[]}' } }),
  "routes/admin.$merchant.segments.count": admin("admin.$merchant.segments.count", "/admin/$merchant/segments/count"),
  "routes/admin.$merchant.segments.$segmentId": admin("admin.$merchant.segments.$segmentId", "/admin/$merchant/segments/$segmentId", {
    ids: () => ({ segmentId: B_OFFERS.segmentId }),
    actionBody: { name: "Hijacked", rule: '{"type":"group","op":"all","conditions":[]}' },
  }),
  "routes/admin.$merchant.segments.member-tags.$memberId": admin("admin.$merchant.segments.member-tags.$memberId", "/admin/$merchant/segments/member-tags/$memberId", {
    ids: (B) => ({ memberId: B.memberId }),
    actionBody: { tags: "hijacked" },
  }),
  "routes/admin.$merchant.offers._index": admin("admin.$merchant.offers._index", "/admin/$merchant/offers"),
  "routes/admin.$merchant.offers.new": admin("admin.$merchant.offers.new", "/admin/$merchant/offers/new", { actionBody: { title: "Hijacked" } }),
  "routes/admin.$merchant.offers.$offerId": admin("admin.$merchant.offers.$offerId", "/admin/$merchant/offers/$offerId", {
    ids: () => ({ offerId: B_OFFERS.offerId }),
    actionBody: { intent: "archive" },
  }),
  "routes/admin.$merchant.offers.gifts.new": admin("admin.$merchant.offers.gifts.new", "/admin/$merchant/offers/gifts/new", { actionBody: { name: "Hijacked" } }),
  "routes/admin.$merchant.offers.gifts.$giftId": admin("admin.$merchant.offers.gifts.$giftId", "/admin/$merchant/offers/gifts/$giftId", { ids: () => ({ giftId: B_OFFERS.giftId }), actionBody: { intent: "refresh" } }),
  "routes/p.$merchant.offers._index": portal("p.$merchant.offers._index", "/p/$merchant/offers"),
  "routes/p.$merchant.offers.$offerId": portal("p.$merchant.offers.$offerId", "/p/$merchant/offers/$offerId"),
  // Token-addressed (the token is 160 random bits, stored hashed); a token unknown at B changes nothing there.
  "routes/p.$merchant_.offers.unsubscribe.$token": portal("p.$merchant_.offers.unsubscribe.$token", "/p/$merchant/offers/unsubscribe/$token", { tokenParam: true }),
  "routes/api.v1.members.$id.offers": pointsApi("/api/v1/members/$id/offers", "loader"),
  "routes/api.v1.members.$id.offers.$offerId.claim": {
    cases: [
      {
        label: "claim B's offer for B's member",
        handler: "action",
        as: "api",
        method: "POST",
        contentType: "application/json",
        headers: { "idempotency-key": crypto.randomUUID() },
        body: () => "{}",
        path: (_A, B) => `/api/v1/members/${B.memberId}/offers/${B_OFFERS.offerId}/claim`,
        params: (_A, B) => ({ id: B.memberId, offerId: B_OFFERS.offerId }),
        expect: [404],
      },
      {
        label: "loader (wrong method)",
        handler: "loader",
        as: "api",
        path: (_A, B) => `/api/v1/members/${B.memberId}/offers/${B_OFFERS.offerId}/claim`,
        params: (_A, B) => ({ id: B.memberId, offerId: B_OFFERS.offerId }),
        expect: [405],
      },
    ],
  },
  "routes/api.v1.segments": {
    cases: [
      { label: "list with A's key shows only A's segments", handler: "loader", as: "api", path: () => "/api/v1/segments", params: () => ({}), expect: [200], forbidden: (B) => [B_OFFERS.segmentId, B.merchantId] },
      { label: "action (wrong method)", handler: "action", as: "api", method: "POST", path: () => "/api/v1/segments", params: () => ({}), expect: [405] },
    ],
  },
  // CLTV over the API and the per-member export: B's member through A's key → 404; A's model endpoint shows only A's.
  "routes/admin.$merchant.cltv.members[.csv]": admin("admin.$merchant.cltv.members[.csv]", "/admin/$merchant/cltv/members.csv"),
  "routes/admin.$merchant.cltv.rfm[.csv]": admin("admin.$merchant.cltv.rfm[.csv]", "/admin/$merchant/cltv/rfm.csv"),
  "routes/api.v1.members.$id.cltv": pointsApi("/api/v1/members/$id/cltv", "loader"),
  "routes/api.v1.cltv": {
    cases: [
      { label: "A's key reads only A's model", handler: "loader", as: "api", path: () => "/api/v1/cltv?include=classic", params: () => ({}), expect: [200] },
      { label: "action (wrong method)", handler: "action", as: "api", method: "POST", path: () => "/api/v1/cltv", params: () => ({}), expect: [405] },
    ],
  },
  "routes/api.v1.subscriptions.summary": {
    cases: [
      { label: "A's key reads only A's subscriptions", handler: "loader", as: "api", path: () => "/api/v1/subscriptions/summary", params: () => ({}), expect: [200] },
      { label: "action (wrong method)", handler: "action", as: "api", method: "POST", path: () => "/api/v1/subscriptions/summary", params: () => ({}), expect: [405] },
    ],
  },
  // The CLTV settings: A's key reads and changes only A's (the route takes no id; B's merchant id never shows).
  "routes/api.v1.settings.cltv": {
    cases: [
      { label: "A's key reads only A's settings", handler: "loader", as: "api", path: () => "/api/v1/settings/cltv", params: () => ({}), expect: [200] },
      {
        label: "A's key changes only A's settings",
        handler: "action",
        as: "api",
        method: "PATCH",
        contentType: "application/json",
        body: () => JSON.stringify({ points_cost_basis: "point_value" }),
        path: () => "/api/v1/settings/cltv",
        params: () => ({}),
        expect: [200],
      },
      { label: "action (wrong method)", handler: "action", as: "api", method: "POST", path: () => "/api/v1/settings/cltv", params: () => ({}), expect: [405] },
    ],
  },
};

/** B's segment, offer (B's member is eligible and treated) and surprise gift (created in a beforeAll at the end of this file). */
const B_OFFERS = { segmentId: "", offerId: "", giftId: "" };

/** A checkout code route (rewards): B's code through A's key is a 404; GET is a 405. */
function codesApi(path: string, body: () => unknown): Entry {
  return {
    cases: [
      {
        label: "B's code",
        handler: "action",
        as: "api",
        method: "POST",
        contentType: "application/json",
        headers: { "idempotency-key": crypto.randomUUID() },
        body: () => JSON.stringify(body()),
        path: () => path,
        params: () => ({}),
        expect: [404],
        forbidden: (B) => [B_REWARD.id, B.memberId, B.merchantId],
      },
      { label: "loader (wrong method)", handler: "loader", as: "api", path: () => path, params: () => ({}), expect: [405] },
    ],
  };
}

/** A reward of B's with an issued code, for the rewards routes (created in a beforeAll at the end of this file). */
const B_REWARD = { id: "", code: "" };

/** A points API route: its real handler with B's ids must 404; the other handler answers 405 (wrong method). */
function pointsApi(path: string, real: "loader" | "action", body?: (A: TenantFixture, B: TenantFixture) => unknown): Entry {
  const fill = (B: TenantFixture) => path.replace("$id", B.memberId);
  const params = (_A: TenantFixture, B: TenantFixture): Params => (path.includes("$id") ? { id: B.memberId } : {});
  const json = (b: unknown) => () => JSON.stringify(b);
  return {
    cases: [
      {
        label: `${real} with B's ids`,
        handler: real,
        as: "api",
        method: real === "loader" ? "GET" : "POST",
        contentType: "application/json",
        headers: real === "action" ? { "idempotency-key": crypto.randomUUID() } : {},
        body: body ? (A, B) => JSON.stringify(body(A, B)) : undefined,
        path: (_A, B) => fill(B),
        params,
        expect: [404],
      },
      {
        label: `${real === "loader" ? "action" : "loader"} (wrong method)`,
        handler: real === "loader" ? "action" : "loader",
        as: "api",
        method: real === "loader" ? "POST" : "GET",
        contentType: "application/json",
        headers: { "idempotency-key": crypto.randomUUID() },
        body: real === "loader" ? json({ points: 1 }) : undefined,
        path: (_A, B) => fill(B),
        params,
        expect: [405],
      },
    ],
  };
}

let A: TenantFixture;
let B: TenantFixture;
beforeAll(async () => {
  A = await createTenantFixture("tenant-a");
  B = await createTenantFixture("tenant-b");
});
// An order import of B's, for the import routes.
const B_IMPORT_ID = newId("import");
const B_EXPERIMENT_ID = newId("experiment");
beforeAll(async () => {
  await withTenant(testDb(), B.merchantId, async (trx) => {
    await trx.insertInto("experiments").values({ merchant_id: B.merchantId, id: B_EXPERIMENT_ID, kind: "custom", name: "B's experiment", holdout_bps: 1000 }).execute();
    await trx.insertInto("experiment_arms").values([
      { merchant_id: B.merchantId, experiment_id: B_EXPERIMENT_ID, arm: "treatment", is_control: false },
      { merchant_id: B.merchantId, experiment_id: B_EXPERIMENT_ID, arm: "control", is_control: true },
    ]).execute();
  });
});
beforeAll(async () => {
  await withTenant(testDb(), B.merchantId, (trx) =>
    trx.insertInto("imports").values({ merchant_id: B.merchantId, id: B_IMPORT_ID, kind: "orders", filename: "b-orders.csv", errors: JSON.stringify([{ line: 2, column: null, reason: B.memberEmail }]) }).execute(),
  );
});

async function run(routeId: string, c: Case): Promise<{ status: number; body: string; location: string | null }> {
  const path = c.path(A, B);
  const headers = new Headers({ origin: "http://localhost" });
  if (c.as === "staff") headers.set("cookie", A.staffCookie);
  if (c.as === "member") headers.set("cookie", `prn_m_${B.slug.replace(/-/g, "_")}=${A.memberCookie.split("=")[1]}`);
  if (c.as === "api") headers.set("authorization", `Bearer ${A.apiToken}`);
  if (c.contentType && c.body) headers.set("content-type", c.contentType);
  for (const [k, v] of Object.entries(c.headers ?? {})) headers.set(k, v);
  const request = new Request(`http://localhost${path}`, { method: c.method ?? (c.handler === "loader" ? "GET" : "POST"), headers, body: c.body?.(A, B) });
  const fn = routes[routeId]![c.handler]!;
  let result: unknown;
  try {
    result = await fn({ request, params: c.params(A, B), context: {} });
  } catch (thrown) {
    result = thrown;
  }
  if (result instanceof Response) return { status: result.status, body: await result.text(), location: result.headers.get("location") };
  // Single fetch: a plain object (or `data()`) is a 200 with that payload.
  const payload = result && typeof result === "object" && "data" in result && "init" in result ? (result as { data: unknown; init?: { status?: number } }) : null;
  if (payload) return { status: payload.init?.status ?? 200, body: JSON.stringify(payload.data), location: null };
  if (result instanceof Error) throw result;
  return { status: 200, body: JSON.stringify(result ?? null), location: null };
}

describe("tenancy route matrix (M1)", () => {
  it("has an entry for every route, and no entry for a route that no longer exists", () => {
    const missing = Object.keys(routes).filter((id) => !(id in MATRIX));
    const stale = Object.keys(MATRIX).filter((id) => !(id in routes));
    expect(missing, "routes without a tenancy entry — add one to MATRIX").toEqual([]);
    expect(stale, "MATRIX entries for routes that no longer exist").toEqual([]);
  });

  it("covers every loader and action of every non-public route", () => {
    for (const [id, entry] of Object.entries(MATRIX)) {
      if ("public" in entry || !routes[id]) continue;
      for (const h of ["loader", "action"] as const) {
        if (routes[id]![h]) expect(entry.cases.some((c) => c.handler === h), `${id} ${h} has no case`).toBe(true);
      }
    }
  });

  for (const [id, entry] of Object.entries(MATRIX)) {
    if ("public" in entry) continue;
    for (const c of entry.cases) {
      it(`${id}: ${c.label}`, async () => {
        const r = await run(id, c);
        const allowed = c.expect ?? [403, 404];
        const loginRedirect = r.status >= 300 && r.status < 400 && /\/login(\?|$)/.test(r.location ?? "");
        expect(allowed.includes(r.status) || loginRedirect, `status ${r.status} ${r.location ?? ""} ${r.body.slice(0, 200)}`).toBe(true);
        const forbidden = c.forbidden?.(B) ?? [...B.secrets, B.memberId, B.emailId, B.merchantId, B.ownerEmail];
        for (const s of forbidden) expect(r.body, `response leaks B's "${s}"`).not.toContain(s);
        // A's member session must never be honoured at B.
        if (c.as === "member") expect(r.body).not.toContain(A.memberEmail);
      });
    }
  }

  it("left merchant B untouched", async () => {
    const member = await withTenant(testDb(), B.merchantId, (trx) =>
      trx.selectFrom("members").select(["status", "name"]).where("id", "=", B.memberId).executeTakeFirstOrThrow(),
    );
    expect(member.status).toBe("active");
    const merchant = await testDb().selectFrom("merchants").select(["name"]).where("id", "=", B.merchantId).executeTakeFirstOrThrow();
    expect(merchant.name).not.toBe("Hijacked");
    const counts = await withTenant(testDb(), B.merchantId, async (trx) => ({
      keys: (await trx.selectFrom("api_keys").select((e) => e.fn.countAll<number>().as("n")).executeTakeFirstOrThrow()).n,
      invites: (await trx.selectFrom("staff_invitations").select((e) => e.fn.countAll<number>().as("n")).executeTakeFirstOrThrow()).n,
      members: (await trx.selectFrom("members").select((e) => e.fn.countAll<number>().as("n")).executeTakeFirstOrThrow()).n,
    }));
    expect(counts).toEqual({ keys: 1, invites: 1, members: 1 });
  });
});

/**
 * Roles on every admin action: analysts read and never write; the team, API keys and Stripe (billing) settings are
 * the owner's alone. Every admin route that has an action must be listed here with the least role allowed to use it.
 */
const WRITE_ROLE: Record<string, "admin" | "owner"> = {
  "routes/admin.$merchant.members.$memberId": "admin",
  "routes/admin.$merchant.imports._index": "admin",
  "routes/admin.$merchant.settings._index": "admin",
  "routes/admin.$merchant.programs": "admin",
  "routes/admin.$merchant.tiers": "admin",
  "routes/admin.$merchant.settings.email": "admin",
  "routes/admin.$merchant.settings.team": "owner",
  "routes/admin.$merchant.settings.api-keys": "owner",
  "routes/admin.$merchant.settings.stripe": "owner",
  "routes/admin.$merchant.referrals.settings": "admin",
  "routes/admin.$merchant.referrals.review": "admin",
  "routes/admin.$merchant.referrals.tree.$memberId": "admin",
  "routes/admin.$merchant.experiments": "admin",
  "routes/admin.$merchant.rewards": "admin",
  "routes/admin.$merchant.rewards_.$rewardId": "admin",
  "routes/admin.$merchant.segments.new": "admin",
  "routes/admin.$merchant.segments.$segmentId": "admin",
  "routes/admin.$merchant.segments.member-tags.$memberId": "admin",
  "routes/admin.$merchant.offers.new": "admin",
  "routes/admin.$merchant.offers.$offerId": "admin",
  "routes/admin.$merchant.offers.gifts.new": "admin",
  "routes/admin.$merchant.cltv": "admin",
  "routes/admin.$merchant.settings.cltv": "admin",
  // "Refresh now" of the pages on maintained summaries (issue 14).
  "routes/admin.$merchant._index": "admin",
  "routes/admin.$merchant.reports.$experimentId": "admin",
  "routes/admin.$merchant.referrals._index": "admin",
  "routes/admin.$merchant.offers.gifts.$giftId": "admin",
};

describe("role matrix on admin actions", () => {
  const adminActions = Object.keys(routes).filter((id) => id.startsWith("routes/admin.$merchant") && routes[id]!.action);

  it("lists every admin route that has an action", () => {
    expect(adminActions.filter((id) => !(id in WRITE_ROLE))).toEqual([]);
  });

  for (const id of adminActions) {
    const needs = WRITE_ROLE[id] ?? "admin";
    const refused = needs === "owner" ? (["analyst", "admin"] as const) : (["analyst"] as const);
    for (const role of refused) {
      it(`${id}: ${role} → 403`, async () => {
        const entry = MATRIX[id]!;
        const body = "cases" in entry ? entry.cases.find((c) => c.handler === "action")?.body?.(A, A) : undefined;
        const params: Params = { merchant: A.slug, memberId: A.memberId, emailId: A.emailId };
        const request = new Request(`http://localhost/admin/${A.slug}`, {
          method: "POST",
          headers: { origin: "http://localhost", cookie: role === "admin" ? A.adminCookie : A.analystCookie, "content-type": FORM },
          body: body ?? form({ intent: "any" }),
        });
        let status = 200;
        try {
          const r = await routes[id]!.action!({ request, params, context: {} });
          if (r instanceof Response) status = r.status;
          else if (r && typeof r === "object" && "init" in r) status = (r as { init?: { status?: number } }).init?.status ?? 200;
        } catch (thrown) {
          if (!(thrown instanceof Response)) throw thrown;
          status = thrown.status;
        }
        expect(status).toBe(403);
      });
    }
  }
});

// Rewards: B's reward and one issued code (after A and B exist).
beforeAll(async () => {
  const { createReward } = await import("~/domain/rewards/catalog.server");
  const { grantReward } = await import("~/domain/rewards/grant.server");
  await withTenant(testDb(), B.merchantId, async (trx) => {
    const system = { type: "system" as const, id: "tenancy" };
    const reward = await createReward(trx, B.merchantId, { name: "B reward", kind: "fixed_discount", pointsCost: 10, discountMinor: 100 }, system);
    const granted = await grantReward(trx, B.merchantId, { memberId: B.memberId, rewardId: reward.id, idempotencyKey: "tenancy", source: "gift", chargePoints: false, actor: system });
    B_REWARD.id = reward.id;
    B_REWARD.code = granted.code!;
  });
});

// Segments and offers: B's segment (everyone), an offer for it with no holdout, and a surprise gift of B's reward.
beforeAll(async () => {
  const { createSegment } = await import("~/domain/segments/segments.server");
  const { createOffer } = await import("~/domain/offers/offers.server");
  const { createSurpriseGift } = await import("~/domain/offers/gifts.server");
  await withTenant(testDb(), B.merchantId, async (trx) => {
    const system = { type: "system" as const, id: "tenancy" };
    const at = new Date();
    const local = (d: Date) => d.toISOString().slice(0, 16);
    const segment = await createSegment(trx, B.merchantId, { name: "B segment", description: null, rule: { type: "group", op: "all", conditions: [] } }, system);
    const offer = await createOffer(
      trx,
      { id: B.merchantId, timezone: "UTC" },
      {
        title: "B offer",
        description: "",
        imageUrl: null,
        kind: "multiplier",
        rewardId: null,
        multiplierPercent: 200,
        multiplierDays: 7,
        segmentId: segment.id,
        startsAt: local(new Date(at.getTime() - 86_400_000)),
        endsAt: local(new Date(at.getTime() + 86_400_000)),
        stockTotal: undefined,
        holdoutPercent: 0,
      },
      system,
      at,
    );
    const gift = await createSurpriseGift(trx, B.merchantId, { name: "B gift", rewardId: B_REWARD.id, segmentId: segment.id, holdoutPercent: 0 }, system, at);
    B_OFFERS.segmentId = segment.id;
    B_OFFERS.offerId = offer.id;
    B_OFFERS.giftId = gift.id;
  });
});
