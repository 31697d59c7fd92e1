import { sql } from "kysely";
import type { Trx } from "~/db.server";
import { recordAudit, type Actor } from "~/domain/audit/audit.server";
import { DomainError } from "~/lib/errors";
import { isId, newId } from "~/lib/ids";
import type { Member } from "~db/schema";

/**
 * Member records: the rows and their audit entries, nothing of joining the program — a customer joins through
 * enrollMember (app/domain/flows/enrolment.server.ts), which calls these. Callers validate with the shared field schemas
 * (./schemas.ts) first; these functions receive typed, normalised values (lower-cased e-mail, trimmed strings) and
 * run inside the caller's tenant transaction.
 */

export interface MemberInput {
  email: string;
  /** undefined leaves the stored value alone; null clears it. */
  name?: string | null;
  birthday?: string | null;
  externalId?: string | null;
}

export type UpsertResult = { member: Member; created: boolean };

const emailTaken = () => new DomainError("email_taken", "Another member already uses this e-mail address", { field: "email" });
const externalIdTaken = () =>
  new DomainError("external_id_taken", "Another member already uses this external id", { field: "external_id" });

/** A member of this merchant, or undefined; an id of another merchant is indistinguishable from a missing one. */
export async function getMember(trx: Trx, merchantId: string, id: string): Promise<Member | undefined> {
  if (!isId("member", id)) return undefined;
  return trx.selectFrom("members").selectAll().where("merchant_id", "=", merchantId).where("id", "=", id).executeTakeFirst();
}

/** Inserts a new member; 409 `email_taken` / `external_id_taken` when either is in use. */
export async function createMember(trx: Trx, merchantId: string, input: MemberInput, actor: Actor): Promise<Member> {
  const member = await insertMember(trx, merchantId, input);
  if (!member) throw (await findByEmail(trx, merchantId, input.email)) ? emailTaken() : externalIdTaken();
  await recordAudit(trx, merchantId, actor, "member.created", { type: "member", id: member.id }, { after: auditView(member) });
  return member;
}

/**
 * Create-or-update for integrations. The match is by `externalId` when given, else by e-mail:
 *  - externalId known → that member is updated (e-mail included; 409 `email_taken` if another member has it);
 *  - externalId unknown but the e-mail belongs to a member without an external id → that member is linked to it;
 *  - the e-mail belongs to a member with a different external id → 409 `email_taken`;
 *  - otherwise a new member is created.
 * Fields left undefined keep their value; an update that changes nothing writes nothing.
 * Concurrent upserts of the same new member are safe: the loser of the insert race finds the winner's row.
 */
export async function upsertMember(trx: Trx, merchantId: string, input: MemberInput, actor: Actor): Promise<UpsertResult> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const existing = await findUpsertTarget(trx, merchantId, input);
    if (existing) return { member: await updateMember(trx, merchantId, existing, input, actor), created: false };
    const member = await insertMember(trx, merchantId, input);
    if (member) {
      await recordAudit(trx, merchantId, actor, "member.created", { type: "member", id: member.id }, { after: auditView(member) });
      return { member, created: true };
    }
    // A concurrent transaction inserted a matching member first (we waited for it to commit): match it now.
  }
  throw emailTaken();
}

async function findUpsertTarget(trx: Trx, merchantId: string, input: MemberInput): Promise<Member | undefined> {
  if (input.externalId) {
    const byExternal = await trx
      .selectFrom("members")
      .selectAll()
      .where("merchant_id", "=", merchantId)
      .where("external_id", "=", input.externalId)
      .forUpdate()
      .executeTakeFirst();
    if (byExternal) return byExternal;
    const byEmail = await findByEmail(trx, merchantId, input.email, true);
    if (!byEmail) return undefined;
    if (byEmail.external_id !== null) throw emailTaken();
    return byEmail;
  }
  return findByEmail(trx, merchantId, input.email, true);
}

function findByEmail(trx: Trx, merchantId: string, email: string, lock = false): Promise<Member | undefined> {
  let q = trx.selectFrom("members").selectAll().where("merchant_id", "=", merchantId).where("email", "=", email);
  if (lock) q = q.forUpdate();
  return q.executeTakeFirst();
}

/** Inserts unless a unique key (e-mail, external id) is taken; undefined then, without aborting the transaction. */
async function insertMember(trx: Trx, merchantId: string, input: MemberInput): Promise<Member | undefined> {
  return trx
    .insertInto("members")
    .values({
      merchant_id: merchantId,
      id: newId("member"),
      email: input.email,
      name: input.name ?? null,
      birthday: input.birthday ?? null,
      external_id: input.externalId ?? null,
    })
    .onConflict((oc) => oc.doNothing())
    .returningAll()
    .executeTakeFirst();
}

async function updateMember(trx: Trx, merchantId: string, current: Member, input: MemberInput, actor: Actor): Promise<Member> {
  const changes: { email?: string; name?: string | null; birthday?: string | null; external_id?: string | null } = {};
  if (input.email !== current.email.toLowerCase()) changes.email = input.email;
  if (input.name !== undefined && input.name !== current.name) changes.name = input.name;
  if (input.birthday !== undefined && input.birthday !== current.birthday) changes.birthday = input.birthday;
  if (input.externalId !== undefined && input.externalId !== current.external_id) changes.external_id = input.externalId;
  if (Object.keys(changes).length === 0) return current;

  if (changes.email) {
    const other = await findByEmail(trx, merchantId, changes.email);
    if (other && other.id !== current.id) throw emailTaken();
  }
  if (changes.external_id) {
    const other = await trx
      .selectFrom("members")
      .select("id")
      .where("merchant_id", "=", merchantId)
      .where("external_id", "=", changes.external_id)
      .executeTakeFirst();
    if (other && other.id !== current.id) throw externalIdTaken();
  }
  let updated: Member;
  try {
    updated = await trx
      .updateTable("members")
      .set({ ...changes, updated_at: sql<Date>`now()` })
      .where("merchant_id", "=", merchantId)
      .where("id", "=", current.id)
      .returningAll()
      .executeTakeFirstOrThrow();
  } catch (err) {
    // A concurrent writer took the e-mail or external id between the check and the update.
    if (isUniqueViolation(err)) throw String((err as { constraint?: string }).constraint).includes("external") ? externalIdTaken() : emailTaken();
    throw err;
  }
  const before = Object.fromEntries(Object.keys(changes).map((k) => [k, current[k as keyof Member]]));
  await recordAudit(trx, merchantId, actor, "member.updated", { type: "member", id: current.id }, { before, after: changes });
  return updated;
}

function isUniqueViolation(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { code?: string }).code === "23505";
}

function auditView(m: Member) {
  return { email: m.email, name: m.name, birthday: m.birthday, external_id: m.external_id };
}
