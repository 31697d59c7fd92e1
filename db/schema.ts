/**
 * Kysely table types, written by hand to match db/migrations. `bigint` columns are parsed to JS numbers
 * by db/pool.server.ts (with a safe-integer range check), so money and points are plain integers in code.
 */
import type { ColumnType, Insertable, Selectable, Updateable } from "kysely";

type Generated<T> = ColumnType<T, T | undefined, T>;
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type TimestampNullable = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json = ColumnType<unknown, string, string>;

export type StaffRole = "owner" | "admin" | "analyst";
export type MemberStatus = "active" | "blocked" | "deleted";
export type EmailStatus = "pending" | "sent" | "failed" | "kept";
export type ActorType = "staff" | "member" | "api_key" | "system";
export type OrderSource = "api" | "stripe" | "import" | "seed";

export interface MerchantSettings {
  brandColor?: string;
  portalTagline?: string;
  membersOnlyPortal?: boolean;
  [key: string]: unknown;
}

export interface MerchantsTable {
  id: string;
  slug: string;
  name: string;
  currency: string;
  timezone: string;
  settings: ColumnType<MerchantSettings, string | undefined, string>;
  created_at: Timestamp;
}

export interface StaffUsersTable {
  id: string;
  email: string;
  name: string;
  password_hash: string;
  created_at: Timestamp;
  password_changed_at: Timestamp;
}

export interface StaffSessionsTable {
  id: string;
  staff_user_id: string;
  secret_hash: Buffer;
  created_at: Timestamp;
  last_verified_at: Timestamp;
  expires_at: Timestamp;
  ip: string | null;
  user_agent: string | null;
}

export interface StaffPasswordResetsTable {
  id: string;
  staff_user_id: string;
  token_hash: Buffer;
  created_at: Timestamp;
  expires_at: Timestamp;
  used_at: TimestampNullable;
}

export interface LoginThrottleTable {
  key: string;
  failures: Generated<number>;
  next_allowed_at: Timestamp;
  updated_at: Timestamp;
}

interface OutboxColumns {
  id: string;
  template: string;
  to_address: string;
  subject: string;
  html: string;
  text_body: string;
  status: Generated<EmailStatus>;
  attempts: Generated<number>;
  last_error: string | null;
  created_at: Timestamp;
  sent_at: TimestampNullable;
}
export type PlatformEmailOutboxTable = OutboxColumns;
export interface EmailOutboxTable extends OutboxColumns {
  merchant_id: string;
}

export interface MerchantStaffTable {
  merchant_id: string;
  staff_user_id: string;
  role: StaffRole;
  created_at: Timestamp;
}

export interface StaffInvitationsTable {
  merchant_id: string;
  id: string;
  email: string;
  role: StaffRole;
  token_hash: Buffer;
  invited_by: string | null;
  created_at: Timestamp;
  expires_at: Timestamp;
  accepted_at: TimestampNullable;
  revoked_at: TimestampNullable;
}

export interface MembersTable {
  merchant_id: string;
  id: string;
  email: string;
  external_id: string | null;
  name: string | null;
  /** ISO date 'YYYY-MM-DD' (the pool returns `date` columns as strings, never shifted by time zones). */
  birthday: string | null;
  status: Generated<MemberStatus>;
  password_hash: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  password_changed_at: TimestampNullable;
}

export interface MemberSessionsTable {
  merchant_id: string;
  id: string;
  member_id: string;
  secret_hash: Buffer;
  created_at: Timestamp;
  last_verified_at: Timestamp;
  expires_at: Timestamp;
  ip: string | null;
  user_agent: string | null;
}

export interface MemberPasswordResetsTable {
  merchant_id: string;
  id: string;
  member_id: string;
  token_hash: Buffer;
  created_at: Timestamp;
  expires_at: Timestamp;
  used_at: TimestampNullable;
}

export interface ApiKeysTable {
  merchant_id: string;
  id: string;
  name: string;
  token_prefix: string;
  secret_hash: Buffer;
  scopes: ColumnType<string[], string[] | undefined, string[]>;
  created_by: string | null;
  created_at: Timestamp;
  last_used_at: TimestampNullable;
  revoked_at: TimestampNullable;
}

export interface AuditLogTable {
  merchant_id: string;
  id: string;
  actor_type: ActorType;
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  before: Json | null;
  after: Json | null;
  ip: string | null;
  created_at: Timestamp;
}

export interface IdempotencyKeysTable {
  merchant_id: string;
  key: string;
  method: string;
  path: string;
  request_hash: string;
  response_status: number | null;
  response_body: Json | null;
  created_at: Timestamp;
}

export interface OrdersTable {
  merchant_id: string;
  id: string;
  member_id: string;
  source: OrderSource;
  external_order_id: string;
  amount_minor: number;
  currency: string;
  occurred_at: Timestamp;
  created_at: Timestamp;
}

export interface Database {
  merchants: MerchantsTable;
  staff_users: StaffUsersTable;
  staff_sessions: StaffSessionsTable;
  staff_password_resets: StaffPasswordResetsTable;
  login_throttle: LoginThrottleTable;
  platform_email_outbox: PlatformEmailOutboxTable;
  merchant_staff: MerchantStaffTable;
  staff_invitations: StaffInvitationsTable;
  members: MembersTable;
  member_sessions: MemberSessionsTable;
  member_password_resets: MemberPasswordResetsTable;
  api_keys: ApiKeysTable;
  audit_log: AuditLogTable;
  email_outbox: EmailOutboxTable;
  idempotency_keys: IdempotencyKeysTable;
  orders: OrdersTable;
}

export type Merchant = Selectable<MerchantsTable>;
export type StaffUser = Selectable<StaffUsersTable>;
export type Member = Selectable<MembersTable>;
export type NewMember = Insertable<MembersTable>;
export type MemberUpdate = Updateable<MembersTable>;
export type ApiKey = Selectable<ApiKeysTable>;
export type Order = Selectable<OrdersTable>;
export type AuditEntry = Selectable<AuditLogTable>;
