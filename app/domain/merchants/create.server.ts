import { setTenant, type DB, type Trx } from "~/db.server";
import { hashPassword } from "~/auth/password.server";
import { recordAudit } from "~/domain/audit/audit.server";
import { emailSchema, passwordSchema, personNameSchema } from "~/domain/members/schemas";
import { EMAIL_TAKEN_MESSAGE, insertStaffUser, type StaffAccount } from "~/domain/staff/accounts.server";
import { isUniqueViolation } from "~/domain/staff/db-errors.server";
import { conflict, validationFailed } from "~/lib/errors";
import { newId } from "~/lib/ids";
import type { Merchant } from "~db/schema";
import { z } from "zod";
import { currencySchema, merchantNameSchema, slugSchema, timezoneSchema } from "./schemas";

export const SLUG_TAKEN_MESSAGE = "This address is already taken — choose another";

const MerchantFields = z.object({ name: merchantNameSchema, slug: slugSchema, currency: currencySchema, timezone: timezoneSchema });
const InputSchema = z.object({
  merchant: MerchantFields,
  owner: z.object({ name: personNameSchema, email: emailSchema, password: passwordSchema }),
});
export type CreateMerchantInput = z.input<typeof InputSchema>;

function parseOrThrow<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw validationFailed(issue.message, issue.path.join("."));
  }
  return parsed.data;
}

/** The merchant row, its owner's membership and the audit entry; `trx` ends up scoped to the new merchant. */
async function insertMerchant(trx: Trx, m: z.output<typeof MerchantFields>, ownerId: string): Promise<Merchant> {
  if (await trx.selectFrom("merchants").select("id").where("slug", "=", m.slug).executeTakeFirst()) {
    throw conflict(SLUG_TAKEN_MESSAGE, "slug");
  }
  const merchant = await trx
    .insertInto("merchants")
    .values({ id: newId("merchant"), slug: m.slug, name: m.name, currency: m.currency, timezone: m.timezone })
    .returningAll()
    .executeTakeFirstOrThrow();
  await setTenant(trx, merchant.id);
  await trx.insertInto("merchant_staff").values({ merchant_id: merchant.id, staff_user_id: ownerId, role: "owner" }).execute();
  await recordAudit(
    trx,
    merchant.id,
    { type: "staff", id: ownerId },
    "merchant.created",
    { type: "merchant", id: merchant.id },
    {
      after: { name: merchant.name, slug: merchant.slug, currency: merchant.currency, timezone: merchant.timezone },
    },
  );
  return merchant;
}

function mapRace(err: unknown): never {
  // Two sign-ups racing for the same slug or e-mail: the unique index decides, the loser gets the field error.
  if (isUniqueViolation(err, "merchants_slug_key")) throw conflict(SLUG_TAKEN_MESSAGE, "slug");
  if (isUniqueViolation(err, "staff_users_email_key")) throw conflict(EMAIL_TAKEN_MESSAGE, "email");
  throw err;
}

/**
 * A merchant and its first owner, in one transaction (sign-up page and `perennial merchant create`).
 * Re-validates its input because the CLI is an edge too. An e-mail that already has a staff account is refused:
 * that person should log in (a second account for the same address would split their access).
 */
export async function createMerchantWithOwner(database: DB, raw: CreateMerchantInput): Promise<{ merchant: Merchant; owner: StaffAccount }> {
  const { merchant: m, owner: o } = parseOrThrow(InputSchema, raw);
  const passwordHash = await hashPassword(o.password);
  try {
    return await database.transaction().execute(async (trx) => {
      if (await trx.selectFrom("staff_users").select("id").where("email", "=", o.email).executeTakeFirst()) {
        throw conflict(EMAIL_TAKEN_MESSAGE, "email");
      }
      const owner = await insertStaffUser(trx, { email: o.email, name: o.name, passwordHash });
      const merchant = await insertMerchant(trx, m, owner.id);
      return { merchant, owner };
    });
  } catch (err) {
    return mapRace(err);
  }
}

/** Another merchant for someone who already has a staff account (logged in on the sign-up page). */
export async function createMerchantForStaff(database: DB, staffUserId: string, raw: z.input<typeof MerchantFields>): Promise<Merchant> {
  const m = parseOrThrow(MerchantFields, raw);
  try {
    return await database.transaction().execute((trx) => insertMerchant(trx, m, staffUserId));
  } catch (err) {
    return mapRace(err);
  }
}
