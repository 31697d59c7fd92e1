import type { DB, Trx } from "~/db.server";
import { withTenant } from "~/db.server";
import { hashPassword, verifyAgainstDummy, verifyPassword } from "~/auth/password.server";
import { throttledLogin, type LoginOrigin } from "~/auth/throttle.server";
import { staffThrottleKey } from "~/auth/throttle";
import { recordAudit, type Actor } from "~/domain/audit/audit.server";
import { conflict } from "~/lib/errors";
import { newId } from "~/lib/ids";
import type { StaffRole } from "~db/schema";
import { isUniqueViolation } from "./db-errors.server";

export interface StaffAccount {
  id: string;
  email: string;
  name: string;
}

export const EMAIL_TAKEN_MESSAGE = "This e-mail already has an account — log in instead.";

export async function findStaffByEmail(database: DB | Trx, email: string): Promise<StaffAccount | undefined> {
  return database.selectFrom("staff_users").select(["id", "email", "name"]).where("email", "=", email.trim()).executeTakeFirst();
}

/**
 * Creates a staff account (no merchant yet). `passwordHash` lets callers hash before opening a transaction,
 * so a 50 ms argon2 run never holds a database connection.
 */
export async function insertStaffUser(database: DB | Trx, input: { email: string; name: string; passwordHash: string }): Promise<StaffAccount> {
  const id = newId("staff");
  try {
    await database.insertInto("staff_users").values({ id, email: input.email, name: input.name, password_hash: input.passwordHash }).execute();
  } catch (err) {
    if (isUniqueViolation(err, "staff_users_email_key")) throw conflict(EMAIL_TAKEN_MESSAGE, "email");
    throw err;
  }
  return { id, email: input.email, name: input.name };
}

/** Used by the CLI (`staff create`) and invitations. */
export async function createStaffUser(database: DB | Trx, input: { email: string; name: string; password: string }): Promise<StaffAccount> {
  const passwordHash = await hashPassword(input.password);
  return insertStaffUser(database, { email: input.email, name: input.name, passwordHash });
}

/** Gives a staff user a role at a merchant. Already a member → conflict (change the role instead). */
export async function addStaffToMerchant(
  database: DB,
  merchantId: string,
  staffUserId: string,
  role: StaffRole,
  actor: Actor = { type: "system", id: null },
): Promise<void> {
  await withTenant(database, merchantId, async (trx) => {
    const inserted = await trx
      .insertInto("merchant_staff")
      .values({ merchant_id: merchantId, staff_user_id: staffUserId, role })
      .onConflict((oc) => oc.columns(["merchant_id", "staff_user_id"]).doNothing())
      .returning("staff_user_id")
      .executeTakeFirst();
    if (!inserted) throw conflict("This person is already on the team", "email");
    await recordAudit(trx, merchantId, actor, "staff.added", { type: "staff_user", id: staffUserId }, { after: { role } });
  });
}

/**
 * Password login for staff (S6): throttled per e-mail and client address, unknown e-mail and wrong password answer
 * alike and take about as long (the dummy hash). Throws DomainError unauthenticated / rate_limited.
 */
export async function authenticateStaff(database: DB, email: string, password: string, origin: LoginOrigin): Promise<StaffAccount> {
  return throttledLogin(database, staffThrottleKey(email), origin, async () => {
    const row = await database
      .selectFrom("staff_users")
      .select(["id", "email", "name", "password_hash"])
      .where("email", "=", email.trim())
      .executeTakeFirst();
    if (!row) return verifyAgainstDummy(password).then(() => null);
    if (!(await verifyPassword(row.password_hash, password))) return null;
    return { id: row.id, email: row.email, name: row.name };
  });
}
