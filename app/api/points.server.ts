import { now } from "~/lib/clock.server";
import type { Trx } from "~/db.server";
import { enrollMember } from "~/domain/flows/enrolment.server";
import { getMember } from "~/domain/members/members.server";
import type { Actor } from "~/domain/audit/audit.server";
import { DomainError } from "~/lib/errors";
import { isId } from "~/lib/ids";
import type { Member } from "~db/schema";
import { occurredAtProblem, type MemberRef } from "./points-schemas";
import type { ApiContext } from "./request.server";

/** Shared steps of the points routes: finding (or creating) the member a write is for, and date checks. */

const memberNotFound = (field: string) => new DomainError("not_found", "Member not found", { field });

/** A member of the key's merchant by id; another merchant's id is a 404 exactly like an unknown one. */
export async function requireMember(trx: Trx, auth: ApiContext, id: string, field = "id"): Promise<Member> {
  const member = await getMember(trx, auth.merchantId, id);
  if (!member) throw memberNotFound(field);
  return member;
}

/**
 * For the debit path, where every statement inside the member's lock counts: only the id's shape is checked here;
 * the ledger's first statement (the balance row lock) answers an unknown member — another merchant's included —
 * with 404 through the foreign key, so no separate lookup is needed.
 */
export function requireMemberIdShape(id: string): string {
  if (!isId("member", id)) throw memberNotFound("id");
  return id;
}

/**
 * The member an order or event is for: by `id`, else matched (and updated) by external id / e-mail like POST
 * /members, enrolled when new (the `api_order_or_event` row of ENROLMENT_POLICY) in the same transaction.
 */
export async function resolveMemberRef(trx: Trx, auth: ApiContext, ref: MemberRef, actor: Actor = auth.actor): Promise<{ member: Member; created: boolean }> {
  if (ref.id !== undefined) return { member: await requireMember(trx, auth, ref.id, "member.id"), created: false };
  if (ref.email === undefined) {
    // Matching by external id alone works for known members; creating one needs an e-mail.
    const known = await trx
      .selectFrom("members")
      .selectAll()
      .where("merchant_id", "=", auth.merchantId)
      .where("external_id", "=", ref.external_id!)
      .executeTakeFirst();
    if (!known) {
      throw new DomainError("validation_failed", "No member has this external_id; send member.email too so one can be created", { field: "member.email" });
    }
    return { member: known, created: false };
  }
  return enrollMember(trx, { id: auth.merchantId }, { email: ref.email, name: ref.name, externalId: ref.external_id }, { channel: "api_order_or_event", actor });
}

// A merchant's currency is fixed when the merchant is created (settings cannot change it), so it is cached.
const currencies = new Map<string, string>();

/** The store's currency (ISO 4217), read once per merchant and process. */
export async function merchantCurrency(trx: Trx, merchantId: string): Promise<string> {
  const hit = currencies.get(merchantId);
  if (hit) return hit;
  const row = await trx.selectFrom("merchants").select("currency").where("id", "=", merchantId).executeTakeFirstOrThrow();
  currencies.set(merchantId, row.currency);
  return row.currency;
}

/** True for PostgreSQL's foreign key violation on a reference to `members` (an unknown member id). */
export function isUnknownMemberError(err: unknown): boolean {
  // The ledger's balance lock answers an unknown member as a DomainError; a foreign key elsewhere as 23503.
  if (err instanceof DomainError) return err.code === "not_found" && err.field === "member";
  const e = err as { code?: string; constraint?: string };
  return e?.code === "23503" && typeof e.constraint === "string" && e.constraint.includes("member");
}

/** Parses an already schema-checked ISO instant and checks it against the server clock (fake in tests). */
export function occurredAt(iso: string, field = "occurred_at"): Date {
  const at = new Date(iso);
  const problem = occurredAtProblem(at, now());
  if (problem) throw new DomainError("validation_failed", problem, { field });
  return at;
}
