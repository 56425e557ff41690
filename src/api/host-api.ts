/**
 * The contract between the host and its adapters. Adapters import types from here (and the
 * host's public helpers), never from each other; the host never names an adapter.
 *
 * An adapter owns an entry point and primary authentication, then hands the user to the
 * challenge engine with `host.challenges.begin(...)`; when the challenge ends, the engine calls
 * the adapter's `resume(outcome, req, res)`, which hands the result back (a SAML response,
 * a released login reply, …).
 */
import type { Request, Response, Router } from 'express';
import type { Logger } from 'pino';
import type { KeyObject } from 'node:crypto';
import type { Server } from 'node:http';
import type { z } from 'zod';
import type { Clock } from '../kit/clock.js';
import type { Directory } from '../directory/directory.js';
import type { Kysely } from 'kysely';
import type { KeyedState } from '../store/adapter/keyed-state.js';
import type { AdapterMigration } from '../store/adapter/adapter-migrations.js';
import type { AdapterSecrets } from '../store/adapter/adapter-secrets.js';

export type { KeyedState, AdapterMigration, AdapterSecrets };

/** Semantic version of this interface; adapters declare the range they accept. */
export const HOST_API_VERSION = '2.2.0';

/** A user as the store knows it (imported or seen at sign-in). */
export interface UserRecord {
  id: string;
  username: string;
  externalId: string | null;
  upn: string | null;
  displayName: string | null;
  givenName: string | null;
  surname: string | null;
  email: string | null;
  phone: string | null;
  mobile: string | null;
  disabled: boolean;
  /** Directory groups as last seen at sign-in (since 1.4), which per-group policy rules match. */
  groups?: readonly string[] | undefined;
}

/**
 * Who an external identity provider said the user is, when primary authentication happened
 * there (the SAML bridge: AD FS, Entra ID, Keycloak… signed the user in). It travels sealed with
 * the challenge into the session, so an adapter answering a relying party can carry the upstream
 * subject and attributes; password sign-ins at `/login` have none.
 */
export interface ExternalIdentity {
  /** The primary provider's registered name (`upstream:corp`). */
  provider: string;
  /** The upstream IdP's entity id. */
  issuer: string;
  nameId: { value: string; format: string | null };
  /** Attributes to pass on, already mapped (renamed, filtered) by the provider. */
  attributes: Array<{ name: string; values: string[] }>;
  /** The upstream AuthnContextClassRef(s). */
  authnContextClassRefs: string[];
  /** Milliseconds since the epoch. */
  authnInstant: number;
  /** True when the upstream context is one the provider trusts as multi-factor. */
  upstreamMultiFactor: boolean;
}

/** What the user meets when they have no enrolled method. */
export type EnrolmentPolicy = 'enroll' | 'deny' | 'allow';

export interface BeginChallengeInput {
  user: UserRecord;
  /** The adapter's registered name; its `resume` is called when the challenge ends. */
  adapter: string;
  /** The adapter's own state, JSON-serialisable; stored encrypted with the challenge. */
  continuation: unknown;
  /** Relying party or app name, for the audit record. */
  relyingParty?: string | undefined;
  /** Overrides the host default for users with no method. */
  enrolmentPolicy?: EnrolmentPolicy | undefined;
  /** Set by a primary provider that signed the user in elsewhere; lands in the session. */
  identity?: ExternalIdentity | undefined;
  /**
   * The directory's group filter leaves this user out (`DirectoryUser.outsideMfaGroup`): the
   * challenge follows `directory.outsideGroup` (deny, or pass without a factor) instead of
   * asking for one.
   */
  outsideMfaGroup?: boolean | undefined;
  /**
   * The relying party asked for a multi-factor context (SAML `multipleauthn` in
   * RequestedAuthnContext; since 1.4): a remembered device or a trusted network does not skip
   * the second factor for this sign-in.
   */
  stepUp?: boolean | undefined;
  req: Request;
  res: Response;
}

export interface BeganChallenge {
  challengeId: string;
  /** Path (relative to the public URL) of the challenge page; the adapter redirects there. */
  redirectTo: string;
}

export type ChallengeOutcome =
  | {
      result: 'verified';
      challengeId: string;
      user: UserRecord;
      continuation: unknown;
      /** Factor kinds used ('totp', 'oath', 'sms', …); empty when policy let the user pass. */
      methods: string[];
      /** True when a second factor was really verified (false for `allow` without a method). */
      multiFactor: boolean;
      authnInstant: number;
      relyingParty: string | null;
      /** The external identity the sign-in began with, if a primary provider supplied one. */
      identity: ExternalIdentity | null;
      /**
       * The fresh session the engine just issued to this browser (since 2.1; its cookie is set on
       * this response, so `sessions.get` cannot see it before the browser's next request). An
       * adapter may answer from it in this same response instead of redirecting to a URL of its
       * own to read it back. The challenge is already claimed, so this runs once.
       */
      session?: HostSession;
    }
  | {
      result: 'denied';
      challengeId: string;
      user: UserRecord;
      continuation: unknown;
      /** Machine reason for log and audit (never shown verbatim to the user). */
      reason: string;
      relyingParty: string | null;
      /** When reason is LOCKED: the end of the lock (ms since the epoch), for `pages.denied`. */
      lockedUntil?: number | null | undefined;
    };

/**
 * A challenge begun without a browser (since 1.4): a protocol such as RADIUS asks for the code
 * in its own way (Access-Challenge) and brings it back itself. Same engine as the page: the
 * same regulation, reserved attempts and lockout, factors, replay check, audit and single use.
 */
export interface HeadlessBeginInput {
  user: UserRecord;
  /** The adapter's registered name, recorded on the challenge; only it may answer it. */
  adapter: string;
  /** The protocol ('radius'): only the same channel may answer; no browser can open it. */
  channel: string;
  relyingParty?: string | undefined;
  /** The client as the audit should name it (RADIUS: Calling-Station-Id, else the NAS address). */
  clientIp?: string | undefined;
  /** Language of the prompts. Default `branding.defaultLocale`. */
  locale?: 'en' | 'fr' | undefined;
  /** Factor kinds this client may use ('totp', 'sms', …). Default: every kind a channel can ask for. */
  methods?: readonly string[] | undefined;
  /** As for `begin`; `enroll` acts as `deny` (no enrolment without a page). */
  enrolmentPolicy?: EnrolmentPolicy | undefined;
  outsideMfaGroup?: boolean | undefined;
  /** A code already typed (the one-field `password,code` form): verified at once, no prompt. */
  code?: string | undefined;
}

export interface HeadlessAnswerInput {
  challengeId: string;
  adapter: string;
  channel: string;
  /** The code the user typed. */
  code: string;
  clientIp?: string | undefined;
  methods?: readonly string[] | undefined;
}

/**
 * What the engine says to a headless channel: ask for the code (with the method's localised
 * prompt; `failed` after a refused code, `sent` when a code just went out), or the end.
 */
export type HeadlessChallengeStep =
  | { status: 'code-needed'; challengeId: string; method: string; prompt: string; sent: boolean; failed: boolean; notice?: string | undefined }
  | { status: 'ended'; outcome: ChallengeOutcome };

export interface HeadlessChallengeApi {
  /** Begins the challenge: sends a delivered code at once, or verifies `code` when given. */
  begin(input: HeadlessBeginInput): Promise<HeadlessChallengeStep>;
  /** Verifies a code for a challenge this adapter began on this channel. Throws CHALLENGE_NOT_FOUND / CHALLENGE_USED. */
  answer(input: HeadlessAnswerInput): Promise<HeadlessChallengeStep>;
}

export interface ChallengeApi {
  begin(input: BeginChallengeInput): Promise<BeganChallenge>;
  /** Challenges without a browser (since 1.4): RADIUS Access-Challenge and the like. */
  readonly headless: HeadlessChallengeApi;
  /**
   * Ends a sign-in without showing a challenge, because the primary provider already proved a
   * second factor (the bridge's `trustUpstreamMfa`). Recorded like a challenge (audited, single
   * use), then the same fresh session and the same `resume` as after a verified code.
   */
  pass(input: BeginChallengeInput & { methods: string[]; detail: string }): Promise<void>;
}

/** The host's own signed-in session (cookie + store row), shared by the IdP flows. */
export interface HostSession {
  id: string;
  userId: string;
  methods: string[];
  multiFactor: boolean;
  authnInstant: number;
  expiresAt: number;
  /** Adapter-owned data, keyed by adapter name. */
  data: Record<string, unknown>;
  /** Set when primary authentication happened at an external provider. */
  identity: ExternalIdentity | null;
  /**
   * The session's user as the store held it when `sessions.get` read the session (the same
   * query), so an adapter answering from the session need not look the user up again. Absent on
   * a session object that was not read by `get` (one `create` just made).
   */
  user?: UserRecord;
}

export interface SessionApi {
  /** The valid session of this request, if any. */
  get(req: Request): Promise<HostSession | null>;
  /** Starts a new session (a fresh id: never reuses one from before the factor). */
  create(
    res: Response,
    input: {
      userId: string;
      methods: string[];
      multiFactor: boolean;
      authnInstant: number;
      data?: Record<string, unknown>;
      identity?: ExternalIdentity | null;
      /** Overrides the configured lifetime (a policy rule's sessionMinutes; since 1.4). */
      lifetimeMs?: number | undefined;
    },
  ): Promise<HostSession>;
  update(session: HostSession): Promise<void>;
  destroy(req: Request, res: Response): Promise<void>;
}

export interface UserApi {
  findByUsername(username: string): Promise<UserRecord | null>;
  findById(id: string): Promise<UserRecord | null>;
  /**
   * The one user whose `field` equals `value` (UPN and email compared case-insensitively);
   * null when none, or when several share it (an email is not unique): an ambiguous match never
   * picks one.
   */
  findOneBy(field: 'username' | 'upn' | 'email', value: string): Promise<UserRecord | null>;
  /** Inserts or refreshes a user from the directory (just-in-time at sign-in). */
  upsertFromDirectory(user: import('../directory/directory.js').DirectoryUser, source: string): Promise<UserRecord>;
}

export interface AuditInput {
  event: string;
  result: 'success' | 'failure' | 'denied' | 'info';
  user?: UserRecord | null | undefined;
  username?: string | undefined;
  method?: string | undefined;
  deviceToken?: string | undefined;
  denyReason?: string | undefined;
  adapter?: string | undefined;
  relyingParty?: string | undefined;
  challengeId?: string | undefined;
  clientIp?: string | undefined;
  detail?: string | undefined;
}

export interface AuditApi {
  record(input: AuditInput): Promise<void>;
}

/** One primary sign-in try that takes a password, as regulation sees it. */
export interface PrimaryAttempt {
  /** The submitted sign-in name (null when the form gave none: only the client is counted). */
  username: string | null;
  /** The client address, after `server.trustedProxies`. */
  clientIp: string | undefined;
  /** The audit event a refusal is recorded under ('primary', 'forms-proxy.login'). */
  event: string;
  adapter: string;
  relyingParty?: string | undefined;
}

/** A try regulation let through: settle it exactly once with what the password check said. */
export interface AdmittedAttempt {
  admitted: true;
  /** The password was right. */
  succeeded(): Promise<void>;
  /** The password was wrong (or the app refused the login): counts, and may ban. */
  failed(): Promise<void>;
  /** No verdict (directory unreachable, busy): the try is given back. */
  abandoned(): Promise<void>;
}

/** A try refused before any password was checked; already audited and logged (RATE_LIMITED). */
export interface RefusedAttempt {
  admitted: false;
  retryAfterSeconds: number;
}

/**
 * Regulation of primary authentication, shared by every host on the store (Authelia's
 * regulator): every path that checks a password asks `admit` first, and checks nothing when
 * refused. The user then sees one neutral "wait" message, whether the account exists or not.
 */
export interface RegulationApi {
  admit(attempt: PrimaryAttempt): Promise<AdmittedAttempt | RefusedAttempt>;
}

/** A password to check against the directory, with regulation (since 1.4). */
export interface PasswordCheckInput {
  username: string;
  password: string;
  /** The client as regulation and the audit see it. */
  clientIp: string | undefined;
  /** The asking adapter's name (audit; for app passwords, the scope they must carry). */
  adapter: string;
  relyingParty?: string | undefined;
  /** The audit event a regulation refusal is recorded under. Default 'primary'. */
  event?: string | undefined;
}

export type PasswordCheck =
  | {
      ok: true;
      user: UserRecord;
      /** The directory's group filter leaves the user out: pass to `challenges.*.begin`. */
      outsideMfaGroup: boolean;
      /** The directory's entry (attributes, for an adapter mapping group membership). */
      directoryUser: import('../directory/directory.js').DirectoryUser;
    }
  | { ok: false; reason: 'RATE_LIMITED'; retryAfterSeconds: number }
  | { ok: false; reason: 'INVALID_CREDENTIALS' | 'USER_DISABLED' | 'EMPTY_PASSWORD' | 'EMPTY_USERNAME' };

export type AppPasswordCheckInput = PasswordCheckInput;

export type AppPasswordCheck =
  | { ok: true; user: UserRecord; /** The app password's name, for the log. */ name: string }
  | { ok: false; reason: 'RATE_LIMITED'; retryAfterSeconds: number }
  | { ok: false; reason: 'INVALID_CREDENTIALS' | 'USER_DISABLED' };

/**
 * Password checks for adapters that take a password themselves (since 1.4): RADIUS PAP. Every
 * try is admitted by regulation first and audited; the caller answers one neutral refusal.
 */
export interface PasswordApi {
  /** The directory password (the `/login` page's check). Throws DIRECTORY_UNAVAILABLE. */
  check(input: PasswordCheckInput): Promise<PasswordCheck>;
  /** An app password (issue 19) scoped to `input.adapter`: the whole sign-in, no challenge. */
  checkAppPassword(input: AppPasswordCheckInput): Promise<AppPasswordCheck>;
}

/** The SAML signing key pair(s): the current one signs; all are published in metadata. */
export interface SigningKeys {
  current: SigningKey;
  /** Every published certificate, current first (key rollover publishes two). */
  published: readonly SigningKey[];
}

export interface SigningKey {
  privateKey: KeyObject | null;
  certificatePem: string;
  /** Base64 DER, as written in ds:X509Certificate. */
  certificateBase64: string;
}

/** One-time identifiers shared by every host on the store (assertion ids, request ids). */
export interface ReplayCache {
  /** Records `id` in `scope` until `expiresAt`; false when it was already there (a replay). */
  markUsed(scope: string, id: string, expiresAt: number): Promise<boolean>;
}

export interface PageApi {
  /** Renders an error page for a status and message key, in the request's language. */
  error(req: Request, res: Response, status: number, messageKey: string, publicDetail?: string): void;
  /**
   * The page of a denied sign-in, for an adapter's `resume`: the neutral message for most
   * reasons; the lock's end and the help desk for LOCKED; its own message for NOT_IN_MFA_GROUP.
   */
  denied(req: Request, res: Response, denial: { reason: string; lockedUntil?: number | null | undefined }): void;
  /** The request's language ('en' | 'fr'). */
  locale(req: Request): 'en' | 'fr';
  /** The CSRF token for this request's browser, to put in a hidden `_csrf` field. */
  csrfToken(req: Request, res: Response): string;
  /** Throws CSRF_FAILED unless the posted `_csrf` matches. */
  checkCsrf(req: Request): void;
}

/** What an adapter asks of primary authentication (its continuation, RP, policy, options). */
export interface PrimaryBeginInput extends Omit<BeginChallengeInput, 'user' | 'identity'> {
  /** Ask the provider to authenticate the user again even if it has a session (SAML ForceAuthn). */
  forceAuthn?: boolean | undefined;
}

/**
 * A primary authentication other than the host's password page, registered by an adapter
 * under a name (`upstream:corp`). It signs the user in its own way, then begins the challenge
 * with `host.challenges.begin` on behalf of the adapter named in the input, so that adapter's
 * `resume` runs exactly as after `/login`. Adapters find each other only through these names.
 */
export interface PrimaryProvider {
  /** Answers the URL to redirect the browser to. */
  begin(input: PrimaryBeginInput): Promise<string>;
}

export interface PrimaryRegistry {
  /** Registers a provider; a name can be taken once (`password` is the host's). */
  register(name: string, provider: PrimaryProvider): void;
  has(name: string): boolean;
  /** Every registered name, `password` first. */
  names(): string[];
}

/** The host's primary sign-in page, for adapters whose users sign in with a password here. */
export interface LoginApi {
  /**
   * Remembers what the adapter will need after sign-in and answers the URL to redirect to:
   * `/login` for the default `password` primary, or whatever a registered provider answers.
   * After primary authentication, the challenge begins with this adapter and continuation,
   * exactly as if the adapter had called `challenges.begin` itself.
   */
  begin(input: PrimaryBeginInput, primary?: string): Promise<string>;
}

/**
 * Facts about the host an adapter may need to fit in (since 2.0, instead of the whole
 * configuration): where the main listener binds, which proxies are trusted, the page language,
 * how long a challenge lasts, what the directory's group filter does to users outside it.
 */
export interface ServerFacts {
  /** `server.host` and `server.port`: where the main listener binds (an adapter's own listener defaults to the same host). */
  readonly listen: { readonly host: string; readonly port: number };
  /** `server.trustedProxies`: addresses whose X-Forwarded-* headers are believed. */
  readonly trustedProxies: readonly string[];
  /** `branding.defaultLocale`: the language of pages when the browser asks for none the host has. */
  readonly defaultLocale: 'en' | 'fr';
  /** `challenge.ttlSeconds` in ms: how long a challenge stays open (keep what resumes it at least as long). */
  readonly challengeTtlMs: number;
  /** `directory.outsideGroup`: users outside the directory's MFA group are refused (`deny`) or pass without a factor (`allow`); `deny` without a group filter. */
  readonly outsideGroup: 'deny' | 'allow';
}

/**
 * What the host offers an adapter: its own view, built for it alone. `DB` describes the
 * adapter's own tables (those its `migrations` create, every name starting with the adapter's
 * prefix: `forms_proxy_` for `forms-proxy`); `db` reaches those tables and no other. There is no
 * raw database, no configuration file and no host-wide secret box here (removed in 2.0): the
 * adapter's own section is the `config` given to `create`, the rest is `server` and `publicUrl`.
 */
export interface HostApi<DB = Record<string, never>> {
  readonly version: string;
  /** The adapter's own tables (since 1.3): any other table, raw SQL or schema is refused. */
  readonly db: Kysely<DB>;
  /** Keyed state with expiry, private to the adapter (since 1.3), for adapters with no tables. */
  readonly state: KeyedState;
  /** Secrets sealed under subkeys of this adapter alone (since 2.0): another adapter cannot open them. */
  readonly secrets: AdapterSecrets;
  readonly directory: Directory;
  readonly users: UserApi;
  readonly challenges: ChallengeApi;
  readonly login: LoginApi;
  readonly primaries: PrimaryRegistry;
  readonly sessions: SessionApi;
  readonly audit: AuditApi;
  readonly regulation: RegulationApi;
  /** Directory and app-password checks with regulation (since 1.4). */
  readonly passwords: PasswordApi;
  readonly replay: ReplayCache;
  readonly keys: SigningKeys;
  readonly pages: PageApi;
  readonly logger: Logger;
  readonly clock: Clock;
  /** `server.publicUrl` without a trailing slash. */
  readonly publicUrl: string;
  /** Facts about the host's listener, proxies, language and policies (since 2.0). */
  readonly server: ServerFacts;
}

/** A page a person can open to use an adapter, as `factorgate start` prints it. */
export interface AdapterLink {
  /** What the page is, in a few words ("demo SAML relying party"). */
  label: string;
  /** The URL exactly as browsers must use it: the configured public origin, never the bind address. */
  url: string;
  /** One more line a newcomer needs to use it (how its port is chosen). */
  note?: string;
}

export interface AdapterInstance {
  /**
   * Routes mounted under the adapter's `mountPath` on the main listener. Declare every route
   * synchronously, in this call, on `router` or on plain `express.Router()`s used inside it: the
   * request-duration metric's route labels (`/saml/idp/sso`) are attached to the routes present
   * when `routes` returns. A route added later (after an await, from a timer) or inside a mounted
   * Express app still answers, but its label lacks the mount path (`/sso`).
   */
  routes?(router: Router): void;
  /** Called by the challenge engine when a challenge this adapter began has ended. */
  resume(outcome: ChallengeOutcome, req: Request, res: Response): Promise<void>;
  /**
   * Requests the adapter takes on the main listener before the host's own middleware (e.g. an
   * app reached by its Host name); returns true when it handled the request.
   */
  interceptRequest?(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): boolean;
  /** The same for WebSocket upgrades on the main listener. */
  interceptUpgrade?(req: import('node:http').IncomingMessage, socket: import('node:stream').Duplex, head: Buffer): boolean;
  /** Extra listeners the adapter runs (e.g. a proxied app on its own port), started by the host. */
  servers?(): Server[];
  /** Resolves when the adapter's dependencies answer (for /readyz). */
  ready?(): Promise<void>;
  /** Pages worth opening (a demo relying party, a proxied app); read after the listeners are bound. */
  links?(): readonly AdapterLink[];
  close?(): Promise<void>;
}

/**
 * One thing `factorgate check-config --connect` tries for real: a server, a URL, a key. `run`
 * resolves with a short note on success and throws an Error whose message says what answered
 * and what to check; the host prefixes it with the file and `key` (or with the error's own
 * string `key` property, when the fault lies in another value).
 */
export interface ConnectCheck {
  /** Full key path of the value it concerns, as written (`adapters.samlBridge.upstreams[0].metadataUrl`). */
  key: string;
  /** What is tried, for the report line (`metadata https://adfs.example.com/…`). */
  what: string;
  run(): Promise<string>;
}

/** Rows the host deletes once `column` (epoch ms) is more than `graceMs` in the past. */
export interface ExpiryRule {
  /** One of the adapter's own tables. */
  table: string;
  column: string;
  graceMs?: number;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the host holds definitions of every table shape
export interface AdapterDefinition<C = unknown, DB = any> {
  /** Unique registered name ('saml-idp'). */
  name: string;
  /** Key of the adapter's section under `adapters:` in the configuration ('samlIdp'). */
  configKey: string;
  /** Host API versions this adapter works with, as a caret range of the major ('^1'). */
  hostApi: string;
  /** Validates the adapter's configuration section (defaults filled in). */
  configSchema: z.ZodType<C>;
  /** URL prefix of the adapter's routes ('/saml/idp'); unique among adapters. */
  mountPath: string;
  create(host: HostApi<DB>, config: C): Promise<AdapterInstance> | AdapterInstance;
  /**
   * The adapter's own tables (since 1.3): named migrations, run in name order before `create`,
   * recorded in `<prefix>_migrations`; they reach only tables named `<prefix>_…`.
   */
  migrations?: Readonly<Record<string, AdapterMigration>>;
  /** Expired rows of the adapter's tables, swept by the host every few minutes (since 1.3). */
  expiry?: readonly ExpiryRule[];
  /**
   * Primary providers (`upstream:corp`) a configuration registers and needs, known before
   * start, so the loader (and `check-config`) can report a relying party naming a provider no
   * adapter registers, with the file and key. `path` is below `adapters.<configKey>`.
   */
  primaries?: {
    provides?(config: C): string[];
    requires?(config: C): Array<{ path: string; provider: string }>;
  };
  /**
   * The relying parties or apps a configuration declares (their names, as challenges carry them
   * in `relyingParty`; since 1.4), so `check-config` can report a policy rule naming an app no
   * adapter serves. Return [] when the adapter serves none of its own.
   */
  apps?(config: C): string[];
  /** The adapter's section in the embedded demo configuration (no config file). */
  demoConfig?(ctx: { dataDir: string; publicUrl: string }): unknown;
  /**
   * What `check-config --connect` should try for this section (upstream metadata URLs, pinned
   * certificates). `key(path)` turns a path below the section (`upstreams[0].signingCert`) into
   * the full key as the operator wrote it (`adapters.samlBridge.upstreams[0].signingCertFile`
   * when the value was read from a file): use it for `ConnectCheck.key` and in advice.
   */
  connectChecks?(config: C, ctx: { key(path: string): string }): ConnectCheck[];
  /** Columns of the adapter's tables holding secret-box values, for `factorgate keys rewrap|retire`. */
  sealedColumns?: readonly SealedColumn[];
}

/**
 * A column holding values sealed with the secret box (`fg1.<kid>.…`), so key rotation can find
 * every one: `keys rewrap` re-seals them under the current key, `keys retire` counts them per key.
 */
export interface SealedColumn {
  table: string;
  /** The row's primary key (text): the order and cursor of a rewrap. */
  key: string;
  column: string;
  /** Other columns the context is built from (besides `key`). */
  reads?: readonly string[];
  /** The context the value was sealed with, from the row's `key` and `reads` columns. */
  context(row: Readonly<Record<string, unknown>>): string;
}

/** The host API less the adapter's own tables: what an adapter's helpers take whatever its `DB`. */
export type HostServices = Omit<HostApi, 'db'>;
/** What every adapter's view shares; `db`, `state` and `secrets` are made for each adapter. */
export type SharedHostServices = Omit<HostApi, 'db' | 'state' | 'secrets'>;
