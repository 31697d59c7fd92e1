import type { ImportRowError, ValidRow } from "./csv";

/**
 * Which member each row of a batch belongs to, decided in memory from one SELECT of the batch's customer ids and
 * e-mails, with the rules of upsertMember (app/domain/members/members.server.ts):
 *  - a known customer id (external_id) wins;
 *  - an unknown customer id with the e-mail of a member who has no external id links that member to it;
 *  - an unknown customer id with the e-mail of a member who has another external id is an error;
 *  - otherwise the e-mail's member, or a new member (which needs an e-mail: members.email is required).
 * Existing members are never otherwise changed by an import. Pure.
 */

export interface ExistingMember {
  id: string;
  email: string;
  external_id: string | null;
}

export interface NewMember {
  id: string;
  email: string;
  externalId: string | null;
  name: string | null;
}

export interface MemberPlan {
  /** Per row of the batch: the member id, or null when the row failed (see errors). */
  memberIds: Array<string | null>;
  creates: NewMember[];
  links: Array<{ id: string; externalId: string }>;
  errors: ImportRowError[];
}

interface Known {
  id: string;
  externalId: string | null;
}

export function planMembers(
  rows: ReadonlyArray<Pick<ValidRow, "line" | "externalId" | "email" | "name">>,
  existing: readonly ExistingMember[],
  newId: () => string,
  columns: { customer: string | null; email: string | null },
): MemberPlan {
  const byExternal = new Map<string, Known>();
  const byEmail = new Map<string, Known>();
  for (const m of existing) {
    const k: Known = { id: m.id, externalId: m.external_id };
    if (m.external_id !== null) byExternal.set(m.external_id, k);
    byEmail.set(m.email.toLowerCase(), k);
  }
  const plan: MemberPlan = { memberIds: [], creates: [], links: [], errors: [] };
  const pendingById = new Map<string, NewMember>();
  const create = (email: string, externalId: string | null, name: string | null): Known => {
    const k: Known = { id: newId(), externalId };
    const m: NewMember = { id: k.id, email, externalId, name };
    plan.creates.push(m);
    pendingById.set(m.id, m);
    byEmail.set(email, k);
    if (externalId !== null) byExternal.set(externalId, k);
    return k;
  };
  const fail = (line: number, column: string | null, reason: string) => {
    plan.errors.push({ line, column, reason });
    plan.memberIds.push(null);
  };

  for (const row of rows) {
    if (row.externalId !== null) {
      const known = byExternal.get(row.externalId);
      if (known) {
        plan.memberIds.push(known.id);
        continue;
      }
      if (row.email === null) {
        fail(row.line, columns.customer, `no member has customer id ${row.externalId}, and the row has no e-mail to create one`);
        continue;
      }
      const owner = byEmail.get(row.email);
      if (owner && owner.externalId !== null) {
        fail(row.line, columns.email, `e-mail ${row.email} belongs to a member with another customer id (${owner.externalId})`);
        continue;
      }
      if (owner) {
        owner.externalId = row.externalId;
        byExternal.set(row.externalId, owner);
        const pending = pendingById.get(owner.id);
        if (pending) pending.externalId = row.externalId;
        else plan.links.push({ id: owner.id, externalId: row.externalId });
        plan.memberIds.push(owner.id);
        continue;
      }
      plan.memberIds.push(create(row.email, row.externalId, row.name).id);
      continue;
    }
    // E-mail only (validation guarantees one of the two).
    const email = row.email!;
    plan.memberIds.push((byEmail.get(email) ?? create(email, null, row.name)).id);
  }
  return plan;
}
