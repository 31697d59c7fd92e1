import type { Trx } from "~/db.server";
import { adjustPoints, forgiveClawback, type AdjustInput, type JournalResult } from "~/domain/points/ledger.server";
import { DomainError } from "~/lib/errors";

/**
 * "Staff or an integration corrects a member's points": the one function the admin's member page and
 * `POST /api/v1/members/{id}/points/adjust` call, and the same for forgiving a point debt.
 *
 * ADJUSTMENT_POLICY — what each channel does:
 *  - admin, api: refuse a deleted member (409 conflict): a deleted member's account is closed; a balance that
 *    moves after deletion would be a liability nobody can redeem or see. Before issue 13 only the admin page refused;
 *    the API credited a deleted member (behaviour change).
 *  - The ledger's own corrections (a reward that could not be issued gives its points back, rewards/stripe-sync) are
 *    not adjustments by a person and call the ledger directly: they undo a spend the member made, deleted or not.
 */
export type AdjustmentChannel = "admin" | "api";

export const ADJUSTMENT_POLICY = {
  admin: { refuseDeletedMember: true },
  api: { refuseDeletedMember: true },
} as const satisfies Record<AdjustmentChannel, { refuseDeletedMember: boolean }>;

export interface AdjustmentOptions {
  channel: AdjustmentChannel;
  /** The request field that named the member, for the not_found error (default "member"). */
  memberField?: string;
}

/** The member, locked for the rest of the transaction (a deletion waits), checked against the channel's policy. */
async function memberForPoints(trx: Trx, merchantId: string, memberId: string, options: AdjustmentOptions): Promise<void> {
  const member = await trx.selectFrom("members").select("status").where("merchant_id", "=", merchantId).where("id", "=", memberId).forUpdate().executeTakeFirst();
  if (!member) throw new DomainError("not_found", "Member not found", { field: options.memberField ?? "member" });
  if (member.status === "deleted" && ADJUSTMENT_POLICY[options.channel].refuseDeletedMember) {
    throw new DomainError("conflict", "This member has been deleted; their points can no longer change.");
  }
}

/** A manual credit or debit with a reason (audited); replays by `idempotencyKey`. */
export async function adjustMemberPoints(trx: Trx, merchantId: string, input: AdjustInput, options: AdjustmentOptions): Promise<JournalResult> {
  await memberForPoints(trx, merchantId, input.memberId, options);
  return adjustPoints(trx, merchantId, input);
}

/** Writes off the member's point debt (audited); 409 `no_clawback_debt` when there is none. */
export async function forgiveMemberDebt(
  trx: Trx,
  merchantId: string,
  input: Parameters<typeof forgiveClawback>[2],
  options: AdjustmentOptions,
): ReturnType<typeof forgiveClawback> {
  await memberForPoints(trx, merchantId, input.memberId, options);
  return forgiveClawback(trx, merchantId, input);
}
