/**
 * Table types of the store, shared by SQLite and PostgreSQL. Times are epoch milliseconds
 * (bigint columns; the PostgreSQL driver is told to read int8 as a number). Booleans are 0/1
 * integers so one set of queries serves both dialects. Secret columns end in `_enc` and hold
 * envelope-encrypted text (see `secret-box.ts`).
 */
import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

export interface UsersTable {
  id: string;
  /** Sign-in name, case-folded (NFKC + lower case) so lookups are case-insensitive. */
  username: string;
  external_id: string | null;
  source: string;
  upn: string | null;
  display_name: string | null;
  given_name: string | null;
  surname: string | null;
  email: string | null;
  phone: string | null;
  mobile: string | null;
  disabled: number;
  failed_attempts: number;
  locked_until: number | null;
  created_at: number;
  updated_at: number;
  last_sign_in_at: number | null;
  /** 1 when an admin disabled the user (migration 020); the directory's own flag is `disabled`. */
  admin_disabled: Generated<number>;
  /** Directory groups as a JSON list of names (migration 028); null when the directory gave none. */
  groups: string | null;
  /** The directory's pwdLastSet/pwdChangedTime (epoch ms), where it exposes one (migration 028). */
  password_changed_at: number | null;
  /** Set by a fraud report under mode block (migration 028): the second factor is refused. */
  fraud_blocked_at: number | null;
}

export interface FactorsTable {
  id: string;
  user_id: string;
  /** Factor kind: 'totp', 'oath', 'sms', 'voice', 'email', … */
  kind: string;
  label: string | null;
  secret_enc: string | null;
  /** Non-secret parameters as JSON text (algorithm, digits, phone, …). */
  params: string;
  is_default: number;
  confirmed: number;
  /** The last accepted TOTP time step or HOTP counter (RFC 6238 §5.2 / RFC 4226 §7.2). */
  last_used_step: number | null;
  created_at: number;
  last_used_at: number | null;
}

export interface ChallengesTable {
  id: string;
  user_id: string;
  adapter: string;
  /** SHA-256 of the browser-binding cookie value that began the challenge. */
  browser_hash: string;
  /** 'pending' | 'verified' | 'denied' | 'resumed' */
  status: string;
  continuation_enc: string;
  /** Factor id awaiting confirmation during inline enrolment. */
  enrol_factor_id: string | null;
  selected_method: string | null;
  methods_used: string | null;
  deny_reason: string | null;
  attempts: number;
  relying_party: string | null;
  client_ip: string | null;
  locale: string | null;
  created_at: number;
  expires_at: number;
  finished_at: number | null;
}

export interface SessionsTable {
  /** SHA-256 of the session token: a stolen database does not yield live cookies. */
  id: string;
  user_id: string;
  /** JSON: methods used, authn instant, adapter data. */
  data: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
}

export interface AuditEventsTable {
  id: string;
  ts: number;
  event: string;
  user_id: string | null;
  username: string | null;
  given_name: string | null;
  surname: string | null;
  email: string | null;
  phone: string | null;
  device_token: string | null;
  method: string | null;
  result: string;
  deny_reason: string | null;
  server_name: string;
  server_ip: string | null;
  client_ip: string | null;
  adapter: string | null;
  relying_party: string | null;
  challenge_id: string | null;
  detail: string | null;
}

/** One-time identifiers (assertion ids, request ids, OTP steps) kept until they expire. */
export interface UsedIdsTable {
  scope: string;
  id: string;
  expires_at: number;
}

/** A sign-in an adapter started (`host.login.begin`), waiting for the password at /login. */
export interface PendingLoginsTable {
  id: string;
  adapter: string;
  browser_hash: string;
  continuation_enc: string;
  relying_party: string | null;
  enrolment_policy: string | null;
  /** 1 when the relying party asked for a multi-factor context (migration 028). */
  step_up: number | null;
  created_at: number;
  expires_at: number;
}

/** A third-party OATH hardware token (migration 004); `counter` is 20 zero-padded digits. */
export interface OathTokensTable {
  id: string;
  serial: string;
  user_id: string | null;
  /** 'hotp' | 'totp' */
  kind: string;
  /** 'SHA1' | 'SHA256' | 'SHA512' */
  algorithm: string;
  digits: number;
  period: number;
  counter: string;
  drift_steps: number;
  last_used_step: number | null;
  secret_enc: string;
  issuer: string | null;
  manufacturer: string | null;
  model: string | null;
  disabled: number;
  created_at: number;
  updated_at: number;
  last_used_at: number | null;
}

/** A code sent by SMS, voice or email (migration 005); only its HMAC is stored. */
export interface DeliveredCodesTable {
  id: string;
  challenge_id: string;
  user_id: string;
  factor_id: string;
  /** 'sms' | 'voice' | 'email' */
  kind: string;
  /** 'code' (the user types it) | 'press-pound' (the provider reports a key press) */
  mode: string;
  code_hash: string | null;
  /** SHA-256 (base64url) of the token in a press-pound callback URL. */
  callback_hash: string | null;
  issued_at: number;
  expires_at: number;
  attempts: number;
  confirmed_at: number | null;
  consumed_at: number | null;
  provider_message_id: string | null;
}

/** One attempted send, for the per-challenge and per-user limits (migration 005). */
export interface DeliverySendsTable {
  id: string;
  user_id: string;
  challenge_id: string;
  kind: string;
  sent_at: number;
}

/** A user's PIN for "code + PIN" mode: its Argon2id hash sealed with the key ring (older rows: bare scrypt) (migration 005). */
export interface UserPinsTable {
  user_id: string;
  pin_hash: string;
  created_at: number;
  updated_at: number;
}

/** Enrolment mails sent (`users notify`), one row per user and event (migration 005). */
export interface UserNotificationsTable {
  user_id: string;
  event: string;
  method: string;
  sent_at: number;
}

/** Regulation of primary sign-in per account and per client (migration 009). */
export interface RegulationCountersTable {
  key: string;
  window_start: number;
  failures: number;
  banned_until: number;
  ban_ms: number;
}

/** One code of a user's current backup-code set (issue 19); only its hash is kept. */
export interface BackupCodesTable {
  id: string;
  user_id: string;
  code_hash: string;
  created_at: number;
  used_at: number | null;
}

/** A one-time bypass of the second factor granted by an admin (migration 020). */
export interface UserBypassesTable {
  id: string;
  user_id: string;
  granted_by: string;
  reason: string;
  created_at: number;
  expires_at: number;
  /** When a sign-in claimed it; null while unused. */
  used_at: number | null;
  challenge_id: string | null;
}

/** An admin API token (migration 021); only its HMAC is stored. */
export interface AdminApiTokensTable {
  id: string;
  name: string;
  /** 'helpdesk' or 'admin'. */
  role: string;
  token_hash: string;
  created_by: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
  revoked_by: string | null;
}

/** An /admin console session (migration 024); `id` is the SHA-256 of the cookie's token. */
export interface AdminSessionsTable {
  id: string;
  user_id: string;
  /** The admin's username, for the audit records of what they do. */
  admin_name: string;
  /** 'helpdesk' or 'admin', resolved from `admin.roles` at sign-in. */
  role: string;
  /** SHA-256 of the browser-binding cookie that passed the second factor. */
  browser_hash: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
}

/** A generated password for a client that cannot show a challenge (issue 19); only its hash is kept. */
export interface AppPasswordsTable {
  id: string;
  user_id: string;
  name: string;
  password_hash: string;
  /** JSON list of the adapters that accept it. */
  scopes: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

export interface KeyValueTable {
  key: string;
  value: string;
  updated_at: number;
}

/** Adapters' keyed state (`host.state`), keyed by adapter name. */
export interface AdapterStateTable {
  adapter: string;
  key: string;
  /** JSON text. */
  value: string;
  expires_at: number;
}

/** "Remember this device" (migration 028): the cookie names a row, bound to its user and app. */
export interface RememberedDevicesTable {
  id: string;
  user_id: string;
  app: string;
  browser_label: string;
  created_at: number;
  last_used_at: number;
  expires_at: number;
  revoked_at: number | null;
  revoked_reason: string | null;
}

/** "This wasn't me" reports (migration 028), shown in the console. */
export interface FraudReportsTable {
  id: string;
  user_id: string;
  challenge_id: string | null;
  method: string | null;
  /** Where the report came from: page, link, voice. */
  channel: string;
  /** block | report, as configured when it was made. */
  mode: string;
  client_ip: string | null;
  created_at: number;
  cleared_at: number | null;
  cleared_by: string | null;
}

export interface Database {
  users: UsersTable;
  factors: FactorsTable;
  challenges: ChallengesTable;
  sessions: SessionsTable;
  audit_events: AuditEventsTable;
  used_ids: UsedIdsTable;
  pending_logins: PendingLoginsTable;
  kv: KeyValueTable;
  oath_tokens: OathTokensTable;
  delivered_codes: DeliveredCodesTable;
  delivery_sends: DeliverySendsTable;
  user_pins: UserPinsTable;
  user_notifications: UserNotificationsTable;
  regulation_counters: RegulationCountersTable;
  adapter_state: AdapterStateTable;
  backup_codes: BackupCodesTable;
  app_passwords: AppPasswordsTable;
  user_bypasses: UserBypassesTable;
  admin_api_tokens: AdminApiTokensTable;
  admin_sessions: AdminSessionsTable;
  remembered_devices: RememberedDevicesTable;
  fraud_reports: FraudReportsTable;
}

export type UserRow = Selectable<UsersTable>;
export type NewUserRow = Insertable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
export type FactorRow = Selectable<FactorsTable>;
export type ChallengeRow = Selectable<ChallengesTable>;
export type SessionRow = Selectable<SessionsTable>;
export type AuditEventRow = Selectable<AuditEventsTable>;
export type UserBypassRow = Selectable<UserBypassesTable>;
export type RememberedDeviceRow = Selectable<RememberedDevicesTable>;
export type FraudReportRow = Selectable<FraudReportsTable>;
export type { Generated };
