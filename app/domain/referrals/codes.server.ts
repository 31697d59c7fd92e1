import { sql } from "kysely";
import type { Trx } from "~/db.server";
import { heldOutFromRow, programHoldoutSql, type ProgramHoldoutRow } from "~/domain/experiments/assignment.server";
import { appUrl } from "~/lib/env.server";
import { DomainError } from "~/lib/errors";
import { generateReferralCode, normalizeCode } from "./codes";

export interface ReferralCodeView {
  code: string;
  /** Absolute share link: /r/<code> on the merchant's portal host. */
  link: string;
}

export const shareLink = (code: string) => `${appUrl()}/r/${code}`;

/**
 * The member's code, created on first use (sign-up or the first time it is shown). Concurrent first calls agree:
 * the insert is `on conflict do nothing` on the member, then read back. A collision with another member's code
 * (unique per merchant) retries with a new one.
 */
export async function getOrCreateCode(trx: Trx, merchantId: string, memberId: string): Promise<ReferralCodeView> {
  for (let attempt = 0; attempt < 8; attempt++) {
    const existing = await trx
      .selectFrom("referral_codes")
      .select("code")
      .where("merchant_id", "=", merchantId)
      .where("member_id", "=", memberId)
      .executeTakeFirst();
    if (existing) return { code: existing.code, link: shareLink(existing.code) };
    const code = generateReferralCode();
    // `on conflict do nothing` covers both races: another code for this member (re-read) or a taken code (retry).
    const inserted = await sql<{ code: string }>`
      insert into referral_codes (merchant_id, member_id, code) values (${merchantId}, ${memberId}, ${code})
      on conflict do nothing returning code`.execute(trx);
    if (inserted.rows[0]) return { code, link: shareLink(code) };
  }
  throw new DomainError("conflict", "Could not allocate a referral code; try again");
}

/**
 * The code a member may share, or null when they are held out of the referral program (no link, no incentive),
 * the program is off, or they are blocked as a referrer.
 */
export async function shareableCode(trx: Trx, merchantId: string, memberId: string, programEnabled: boolean): Promise<ReferralCodeView | null> {
  if (!programEnabled) return null;
  // The block, the holdout and the existing code in one statement, not three (the Refer page, issue 14).
  const { rows } = await sql<{ blocked: boolean; code: string | null } & ProgramHoldoutRow>`
    select exists (select 1 from referral_blocks where merchant_id = ${merchantId} and member_id = ${memberId}) as blocked,
      (select code from referral_codes where merchant_id = ${merchantId} and member_id = ${memberId}) as code, hx.*
    from (select 1) one
    left join lateral (${programHoldoutSql(merchantId, "referral_program", memberId)}) hx on true`.execute(trx);
  const row = rows[0]!;
  if (row.blocked) return null;
  // Assigns the member on first sight, as isHeldOutOfProgram does.
  if (await heldOutFromRow(trx, merchantId, memberId, row)) return null;
  return row.code ? { code: row.code, link: shareLink(row.code) } : getOrCreateCode(trx, merchantId, memberId);
}

export interface CodeOwner {
  memberId: string;
  code: string;
  name: string | null;
  status: "active" | "blocked" | "deleted";
}

/** The member behind a code (case-insensitive), or null for an unknown or malformed code. */
export async function findCodeOwner(trx: Trx, merchantId: string, rawCode: string): Promise<CodeOwner | null> {
  const code = normalizeCode(rawCode);
  if (!code) return null;
  const row = await trx
    .selectFrom("referral_codes as c")
    .innerJoin("members as m", (j) => j.onRef("m.merchant_id", "=", "c.merchant_id").onRef("m.id", "=", "c.member_id"))
    .select(["c.member_id", "c.code", "m.name", "m.status"])
    .where("c.merchant_id", "=", merchantId)
    .where("c.code", "=", code)
    .executeTakeFirst();
  return row ? { memberId: row.member_id, code: row.code, name: row.name, status: row.status } : null;
}
