import { randomUUID } from "node:crypto";
import { data } from "@remix-run/node";
import { z } from "zod";
import { AdjustPointsSchema, ForgiveClawbackSchema } from "~/web/forms/points";
import { db, withTenant } from "~/db.server";
import type { Actor } from "~/domain/audit/audit.server";
import { setMemberBlocked } from "~/domain/members/profile.server";
import { adjustMemberPoints, forgiveMemberDebt } from "~/domain/flows/adjustments.server";
import { pointsLabel, signedPoints } from "~/domain/points/text";
import { DomainError } from "~/lib/errors";
import { parseSubmission } from "~/lib/forms.server";
import { domainErrorData, formAction, notFoundResponse } from "~/web/form-action.server";

/** The intents of the admin's member page (`admin.$merchant.members.$memberId`), one function each. */

export const MEMBER_NOT_FOUND = "Member not found";

/** The admin page answers an unknown member with its 404 page, not a form error. */
function pageNotFound(err: unknown): never {
  if (err instanceof DomainError && err.code === "not_found" && err.field === "member") throw notFoundResponse(MEMBER_NOT_FOUND);
  throw err;
}

/** intent=adjust: a manual credit or debit, once per form key. */
export function adjustPointsAction(merchantId: string, memberId: string, form: FormData, actor: Actor) {
  const submission = parseSubmission(form, { schema: AdjustPointsSchema });
  return formAction(
    submission,
    async (v) => {
      // Credited points get the merchant's expiry policy, like any other points.
      const r = await withTenant(db(), merchantId, (trx) =>
        adjustMemberPoints(trx, merchantId, { memberId, points: v.points, reason: v.reason, note: v.note ?? null, idempotencyKey: `admin-adjust:${v.key}`, actor }, { channel: "admin" }),
      ).catch(pageNotFound);
      const notice = r.replayed ? "This adjustment was already recorded." : `${signedPoints(v.points)} ${Math.abs(v.points) === 1 ? "point" : "points"} recorded.`;
      // A fresh key right away: the next adjustment may be sent before the page's data has reloaded.
      return { intent: "adjust" as const, result: submission.reply({ resetForm: true }), notice, error: null, nextKey: randomUUID() };
    },
    {
      fields: ["points", "reason", "note"],
      // The form's one-time key came back with another amount: the ledger refused to treat it as a replay.
      messages: { idempotency_conflict: "This form was already used for another adjustment; reload the page and try again." },
      extra: { intent: "adjust" as const, notice: null, error: null },
    },
  );
}

/** intent=forgive: writes off the member's point debt. */
export async function forgiveDebtAction(merchantId: string, memberId: string, form: FormData, actor: Actor) {
  const parsed = ForgiveClawbackSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) return data({ intent: "forgive" as const, result: null, notice: null, error: parsed.error.issues[0]!.message }, { status: 400 });
  try {
    const r = await withTenant(db(), merchantId, (trx) =>
      forgiveMemberDebt(trx, merchantId, { memberId, idempotencyKey: `admin-forgive:${parsed.data.key}`, actor }, { channel: "admin" }),
    ).catch(pageNotFound);
    return { intent: "forgive" as const, result: null, notice: r.replayed ? "The debt was already forgiven." : `${pointsLabel(r.points)} of debt forgiven.`, error: null };
  } catch (err) {
    return domainErrorData(err, (e) => ({ intent: "forgive" as const, result: null, notice: null, error: e.message }));
  }
}

const BlockSchema = z.object({ intent: z.enum(["block", "unblock"]) });

/** intent=block|unblock. */
export async function blockMemberAction(merchantId: string, memberId: string, form: FormData, actor: Actor) {
  const parsed = BlockSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) return data({ ok: false as const, error: "Unknown action." }, { status: 400 });
  try {
    const result = await withTenant(db(), merchantId, (trx) => setMemberBlocked(trx, merchantId, memberId, parsed.data.intent === "block", actor));
    return { ok: true as const, status: result.status };
  } catch (err) {
    return domainErrorData(err, (e) => ({ ok: false as const, error: e.message }));
  }
}
