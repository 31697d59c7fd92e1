/**
 * How the schema is laid out on Citus (docs/scale-out.md): the single source that `npm run cli -- db distribute`
 * and the Citus statement check (`tests/citus/`) both read.
 *
 * By default a table with a `merchant_id` column is a tenant table, distributed by `merchant_id` and co-located with
 * the others; every other table is global and becomes a reference table. The exceptions are listed here, each with why.
 */

/**
 * Tables that carry `merchant_id` but are read before the merchant is known (a lookup by a secret or a user), small and
 * rarely written: reference tables (a full copy on every node), so the lookup is a local read on any node.
 */
export const REFERENCE_TENANT_TABLES: readonly string[] = [
  // A staff user's merchants, read by staff_user_id on sign-in and on every admin request (auth_staff_memberships,
  // through the route guard). A few rows per merchant, written only when the team changes (invitation accepted, role
  // changed, member removed). No distributed table has a foreign key to it.
  "merchant_staff",
  // API key id → merchant_id, read on every API request whose key is not cached (auth_api_key_lookup). One row per
  // key, inserted with the key and never updated: revocation and last_used_at (written while a key is in use, so
  // api_keys itself must stay distributed) live in api_keys, which the lookup then reads pinned to this merchant.
  "api_key_directory",
];

/**
 * Tables of schema public that stay plain PostgreSQL tables on the coordinator, outside Citus metadata: the migration
 * runner's own bookkeeping (Kysely's list of applied migrations and its lock row), read and written only by
 * `db migrate`, which runs on the coordinator.
 */
export const COORDINATOR_TABLES: readonly string[] = ["kysely_migration", "kysely_migration_lock"];
