import { withTenant, type DB } from "~/db.server";
import { recordAudit } from "~/domain/audit/audit.server";
import type { PortalMerchant } from "~/domain/members/accounts.server";
import { now } from "~/lib/clock.server";
import { notFound } from "~/lib/errors";
import { awardProfileBonusIfComplete } from "./earning.server";

/**
 * "A member edits their profile" (portal › Profile): the change, its audit row and, the first time the profile has a
 * name and a birthday, the profile bonus — in one transaction.
 */
export async function updateMemberProfile(
  database: DB,
  merchant: PortalMerchant,
  memberId: string,
  input: { name: string; birthday: string | null },
): Promise<void> {
  await withTenant(database, merchant.id, async (trx) => {
    const current = await trx
      .selectFrom("members")
      .select(["name", "birthday"])
      .where("merchant_id", "=", merchant.id)
      .where("id", "=", memberId)
      .forUpdate()
      .executeTakeFirst();
    if (!current) throw notFound("Member");
    if (current.name === input.name && current.birthday === input.birthday) return;
    await trx
      .updateTable("members")
      .set({ name: input.name, birthday: input.birthday, updated_at: now() })
      .where("merchant_id", "=", merchant.id)
      .where("id", "=", memberId)
      .execute();
    await recordAudit(
      trx,
      merchant.id,
      { type: "member", id: memberId },
      "member.profile_updated",
      { type: "member", id: memberId },
      {
        before: current,
        after: input,
      },
    );
    await awardProfileBonusIfComplete(trx, merchant.id, { id: memberId, ...input }, { type: "member", id: memberId });
  });
}

