import { randomInt } from "node:crypto";
import { now } from "~/lib/clock.server";
import type { Trx } from "~/db.server";
import { recordAudit, type Actor } from "~/domain/audit/audit.server";
import { DomainError } from "~/lib/errors";
import type { RewardRedemption } from "~db/schema";
import { CODE_ALPHABET, normaliseCode } from "./schemas";

/**
 * Reward codes and the checkout integration: validate a code for an order, mark it used with the order id
 * (idempotent), release it when the order is cancelled.
 *
 * Refunds: a code used on an order that is later refunded stays used, and the points spent on it are not returned.
 * That is how the ledger treats every spend — a spend journal is final; a refund only reverses what the order
 * earned (syncOrderReversal), never what the member redeemed. The merchant can still credit points by hand
 * (an audited adjustment). Only a cancellation before fulfilment (release) makes a code usable again.
 */

/**
 * 12 random characters from a 31-letter readable alphabet (~59 bits), grouped for reading aloud: K7QM-9XWR-TP4C.
 * Stripe promotion codes take letters and digits only, so those are drawn without the dashes.
 */
export function generateCode(grouped = true): string {
  let s = "";
  for (let i = 0; i < 12; i++) s += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return grouped ? `${s.slice(0, 4)}-${s.slice(4, 8)}-${s.slice(8)}` : s;
}

/** The forms a typed code may be stored as: as typed (normalised), grouped, and bare. */
function candidates(raw: string): string[] {
  const typed = normaliseCode(raw);
  const bare = typed.replace(/-/g, "");
  const forms = new Set([typed, bare]);
  if (bare.length === 12) forms.add(`${bare.slice(0, 4)}-${bare.slice(4, 8)}-${bare.slice(8)}`);
  return [...forms].filter((c) => /^[A-Z0-9-]{6,32}$/.test(c));
}

export interface CodeCheck {
  code: string;
  redemptionId: string;
  memberId: string;
  rewardId: string;
  kind: RewardRedemption["kind"];
  /** The discount for this order in minor units (0 for a free product: the product itself is the reward). */
  discountMinor: number;
  productName: string | null;
  expiresAt: Date | null;
  status: RewardRedemption["status"];
  usedOrderId: string | null;
}

async function findCode(trx: Trx, merchantId: string, raw: string, lock: boolean): Promise<RewardRedemption> {
  const forms = candidates(raw);
  if (forms.length === 0) throw new DomainError("not_found", "Unknown code", { field: "code" });
  let q = trx.selectFrom("reward_redemptions").selectAll().where("merchant_id", "=", merchantId).where("code", "in", forms);
  if (lock) q = q.forUpdate();
  const row = await q.executeTakeFirst();
  if (!row || row.kind === "gift") throw new DomainError("not_found", "Unknown code", { field: "code" });
  return row;
}

/**
 * What using the code on this order costs the merchant (issue 16): the discount it applies, or for a free product the
 * reward's cost (0 when the merchant has not set one). Stored on the redemption when the code is used; the
 * incrementality report counts it then, and a code never used costs nothing.
 */
export function costAtUse(r: Pick<RewardRedemption, "kind" | "percent_off" | "discount_minor" | "cost_minor">, orderAmountMinor: number): number {
  return r.kind === "free_product" ? (r.cost_minor ?? 0) : discountFor(r, orderAmountMinor);
}

function discountFor(r: Pick<RewardRedemption, "kind" | "percent_off" | "discount_minor">, orderAmountMinor: number): number {
  switch (r.kind) {
    case "percent_discount":
      return Math.floor((orderAmountMinor * (r.percent_off ?? 0)) / 100);
    case "free_product":
      return 0;
    default:
      return Math.min(r.discount_minor ?? 0, orderAmountMinor);
  }
}

/** Every reason a code cannot be applied to this order, in the order a cashier would want to hear them. */
function assertUsable(r: RewardRedemption, o: { orderAmountMinor: number; memberId?: string | null }) {
  if (r.status === "void") throw new DomainError("expired", "This code was cancelled", { field: "code" });
  if (r.status === "pending") throw new DomainError("inactive", "This code is not ready yet", { field: "code" });
  if (r.status === "used") throw new DomainError("used", "This code was already used", { field: "code" });
  if (r.expires_at && r.expires_at <= now()) throw new DomainError("expired", "This code has expired", { field: "code" });
  if (o.memberId && o.memberId !== r.member_id) throw new DomainError("wrong_member", "This code belongs to another member", { field: "member_id" });
  if (r.min_order_minor !== null && o.orderAmountMinor < r.min_order_minor) {
    throw new DomainError("below_minimum", `This code needs an order of at least ${r.min_order_minor} (minor units)`, { field: "order_amount_minor" });
  }
}

function toCheck(r: RewardRedemption, orderAmountMinor: number): CodeCheck {
  return {
    code: r.code!,
    redemptionId: r.id,
    memberId: r.member_id,
    rewardId: r.reward_id,
    kind: r.kind,
    discountMinor: discountFor(r, orderAmountMinor),
    productName: r.product_name,
    expiresAt: r.expires_at,
    status: r.status,
    usedOrderId: r.used_order_id,
  };
}

export async function validateCode(trx: Trx, merchantId: string, input: { code: string; orderAmountMinor: number; memberId?: string | null }): Promise<CodeCheck> {
  const r = await findCode(trx, merchantId, input.code, false);
  assertUsable(r, input);
  return toCheck(r, input.orderAmountMinor);
}

/**
 * Marks the code used by an order. Idempotent per order: the same order again returns the same answer (`replayed`);
 * another order gets `used`. The row lock makes two checkouts racing for one code resolve to one winner.
 */
export async function useCode(
  trx: Trx,
  merchantId: string,
  input: { code: string; orderId: string; orderAmountMinor: number; memberId?: string | null },
  actor: Actor,
): Promise<CodeCheck & { replayed: boolean }> {
  const r = await findCode(trx, merchantId, input.code, true);
  if (r.status === "used" && r.used_order_id === input.orderId) return { ...toCheck(r, input.orderAmountMinor), replayed: true };
  assertUsable(r, input);
  const at = now();
  const updated = await trx
    .updateTable("reward_redemptions")
    .set({ status: "used", used_at: at, used_order_id: input.orderId, applied_minor: costAtUse(r, input.orderAmountMinor), updated_at: at })
    .where("merchant_id", "=", merchantId)
    .where("id", "=", r.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(trx, merchantId, actor, "reward_code.used", { type: "redemption", id: r.id }, { after: { orderId: input.orderId } });
  return { ...toCheck(updated, input.orderAmountMinor), replayed: false };
}

/** Makes a code used by a cancelled order usable again. Releasing an unused code is a no-op (idempotent). */
export async function releaseCode(trx: Trx, merchantId: string, input: { code: string; orderId: string }, actor: Actor): Promise<{ code: string; status: RewardRedemption["status"]; released: boolean }> {
  const r = await findCode(trx, merchantId, input.code, true);
  if (r.status === "issued") return { code: r.code!, status: r.status, released: false };
  if (r.status !== "used") throw new DomainError("conflict", `This code is ${r.status}; only a used code can be released`, { field: "code" });
  if (r.used_order_id !== input.orderId) throw new DomainError("conflict", "This code was used by another order", { field: "order_id" });
  await trx
    .updateTable("reward_redemptions")
    .set({ status: "issued", used_at: null, used_order_id: null, applied_minor: null, updated_at: now() })
    .where("merchant_id", "=", merchantId)
    .where("id", "=", r.id)
    .execute();
  await recordAudit(trx, merchantId, actor, "reward_code.released", { type: "redemption", id: r.id }, { before: { orderId: input.orderId } });
  return { code: r.code!, status: "issued", released: true };
}
