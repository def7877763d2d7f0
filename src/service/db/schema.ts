/**
 * Table types of the service database. Timestamps are BIGINT epoch milliseconds in every dialect and
 * booleans are integers 0/1, so the same queries run on SQLite, PostgreSQL and MySQL/MariaDB.
 *
 * `companies` and `bookings` are also read by the scheduled collectors (active tenants, bookings today):
 * their column names and types are a shared contract.
 */
import type { Insertable, Selectable } from 'kysely';

export interface CompaniesTable {
  /** Stable tenant id such as `cmp_demo`; the `company` label of the call metrics. */
  id: string;
  name: string;
  is_active: number;
  phone_number: string | null;
  retell_agent_id: string | null;
  created_at: number;
}

export interface CalcomEventTypesTable {
  /** Cal.com's numeric event type id. */
  event_type_id: number;
  company_id: string;
  slug: string | null;
}

export interface BookingsTable {
  id: string;
  company_id: string;
  /** A BookingStatus. */
  status: string;
  /** A BookingSource. */
  source: string;
  created_at: number;
  updated_at: number;
  start_at: number | null;
  end_at: number | null;
  calcom_uid: string | null;
  event_type_id: number | null;
  call_id: string | null;
  customer_name: string | null;
  customer_email: string | null;
  customer_phone: string | null;
}

export interface CallsTable {
  /** Retell's call_id. */
  id: string;
  company_id: string;
  agent_id: string;
  /** `in_progress` until the call ends, then a CallStatus. */
  status: string;
  direction: string | null;
  from_number: string | null;
  to_number: string | null;
  started_at: number | null;
  ended_at: number | null;
  duration_ms: number | null;
  disconnection_reason: string | null;
  /** Retell's call_analysis as JSON text. */
  analysis: string | null;
  created_at: number;
  updated_at: number;
}

export interface WebhookDeliveriesTable {
  /** SHA-256 of the provider's delivery identity, so a retried delivery hits the same row. */
  id: string;
  provider: string;
  event: string;
  company_id: string;
  /** `received` while queued, then `processed`. */
  status: string;
  received_at: number;
  processed_at: number | null;
}

export interface AdminUsersTable {
  username: string;
  /** `scrypt$N$r$p$salt$hash` (see auth/passwords.ts). */
  password_hash: string;
  created_at: number;
}

export interface ApiKeysTable {
  /** The public part of the key (`askp_<id>_<secret>`). */
  id: string;
  /** The only tenant the key sees and changes. */
  company_id: string;
  name: string;
  /** SHA-256 of the whole key, hex; the key itself is never stored. */
  key_hash: string;
  created_at: number;
  revoked_at: number | null;
}

export interface AdminSessionsTable {
  sid: string;
  /** The session as JSON (user name, CSRF secret, cookie expiry). */
  data: string;
  expires_at: number;
}

export interface ServiceTables {
  admin_users: AdminUsersTable;
  api_keys: ApiKeysTable;
  admin_sessions: AdminSessionsTable;
  companies: CompaniesTable;
  calcom_event_types: CalcomEventTypesTable;
  bookings: BookingsTable;
  calls: CallsTable;
  webhook_deliveries: WebhookDeliveriesTable;
}

export type Company = Selectable<CompaniesTable>;
export type Booking = Selectable<BookingsTable>;
export type NewBooking = Insertable<BookingsTable>;
export type Call = Selectable<CallsTable>;
