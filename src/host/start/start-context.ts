/**
 * What the start-up steps build, one part each, in the order of `START_STEPS` (host.ts). A step
 * reads only parts that earlier steps provided: reading a part before it exists throws at once,
 * naming the part, so a reordered table fails on its first start instead of half-working.
 */
import type { Server } from 'node:http';
import type express from 'express';
import type { Logger } from 'pino';
import type { AdapterDefinition, AdapterInstance, AdapterLink, PasswordApi, SharedHostServices, SigningKeys } from '../../api/host-api.js';
import type { HostInternals } from '../host-internals.js';
import type { HostConfig } from '../../config/schema.js';
import type { Directory } from '../../directory/directory.js';
import type { ChallengeEngine, ChallengeEngineDeps } from '../../challenge/index.js';
import type { Factor } from '../../factors/factor.js';
import type { FraudLinks } from '../../fraud/fraud-link.js';
import type { FraudReports } from '../../fraud/fraud-reports.js';
import type { CookiePolicy } from '../../http/cookies.js';
import type { RememberedDevices } from '../../devices/remembered-devices.js';
import type { Csrf } from '../../http/csrf.js';
import type { SessionStore } from '../../http/sessions.js';
import type { Clock } from '../../kit/clock.js';
import type { HostMetrics } from '../../kit/metrics.js';
import type { PendingLogins } from '../../login/pending-logins.js';
import type { Regulator } from '../../regulation/regulator.js';
import type { AuditLog } from '../../audit/audit-log.js';
import type { DerivedKeyOptions } from '../../store/derived-keys.js';
import type { KeyEncryptionKey, SecretBox } from '../../store/secret-box.js';
import type { Store } from '../../store/store.js';
import type { UserRepository } from '../../users/user-repository.js';
import type { AdapterRegistry } from '../adapter-registry.js';
import type { DemoCredential } from '../bootstrap/demo-users.js';
import type { LoadedConfig } from '../config/load.js';
import type { OutageLog } from '../outage-log.js';
import type { RequestStep } from '../request-steps.js';
import type { HostPages } from '../pages/page-api.js';
import type { PrimaryProviders } from '../primary-registry.js';
import type { StoreReplayCache } from '../replay-cache.js';
import type { SweepTarget } from '../sweep-expired.js';
import type { WorkerRole } from '../cluster/worker-role.js';

/** Undoes what a step started; run in reverse order at close (and after a failed start). */
export type Stop = () => Promise<void> | void;

/** One start-up step: builds its parts into the context; returns how to stop what it started. */
export type StartStep = (ctx: StartContext) => Promise<Stop | void> | Stop | void;

export interface Readiness {
  ok: boolean;
  checks: Record<string, string>;
}

export interface StartContext {
  // Given to createHost.
  readonly loaded: LoadedConfig;
  readonly config: HostConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Replaces the configured directory (tests). */
  readonly directoryOverride: Directory | undefined;
  readonly devCertsDir: string | undefined;
  /** The adapter definitions offered (built-ins and plugins); the configured ones are created. */
  readonly definitions: readonly AdapterDefinition[];
  /** This host's place among `server.workers` processes; undefined: the only process. */
  readonly worker: WorkerRole | undefined;

  // register-adapters
  registry: AdapterRegistry;
  // prepare-data-folder
  demoCredentials: readonly DemoCredential[];
  // load-keys
  keys: KeyEncryptionKey[];
  secrets: SecretBox;
  derivedKeyOptions: DerivedKeyOptions;
  signing: SigningKeys;
  // open-store
  store: Store;
  // connect-directory
  directory: Directory;
  // create-services
  cookies: CookiePolicy;
  csrf: Csrf;
  users: UserRepository;
  audit: AuditLog;
  regulation: Regulator;
  sessions: SessionStore;
  replay: StoreReplayCache;
  metrics: HostMetrics;
  pending: PendingLogins;
  pages: HostPages;
  /** Remembered devices (policies, issue 20): the challenge engine honours them, /portal/devices lists them. */
  devices: RememberedDevices;
  // create-factors
  factors: Factor[];
  /** The "This wasn't me" links emailed codes carry (issue 20); /fraud/report checks them. */
  fraudLinks: FraudLinks;
  // create-challenge-engine
  /** Every adapter instance by name, the host's own and the console's included: the engine hands back through it. */
  instances: Map<string, AdapterInstance>;
  engine: ChallengeEngine;
  /** Fraud reports (issue 20): the challenge page's button and the emailed link both report through it. */
  fraudReports: FraudReports;
  /** What a directory user outside the MFA group gets (LDAP `outsideGroup`; always deny for the file directory). */
  outsideGroup: NonNullable<ChallengeEngineDeps['outsideGroupPolicy']>;
  // build-host-api
  /** Directory and app password checks with regulation, for /login and adapters alike. */
  passwords: PasswordApi;
  primaries: PrimaryProviders;
  /** What every adapter's view shares; each adapter's own db, state and secrets: adapter-host-api.ts. */
  shared: SharedHostServices;
  /** The host's own handles beside the shared services: for composition and tests, never an adapter. */
  api: HostInternals;
  // build-app
  app: express.Express;
  /** The security headers and the request id and access log, as request steps (request-steps.ts), for the console's own app. */
  securityHeaders: RequestStep;
  requestLog: RequestStep;
  outages: OutageLog;
  readiness: () => Promise<Readiness>;
  /** Where load-adapters mounts each adapter's routes: ahead of the host's own pages (see build-app). */
  adapterRoutes: express.Router;
  // mount-login (login, portal, challenge pages)
  hostRouter: express.Router;
  // mount-admin-console
  /** The console's own app when `admin.listen` is set, else null (it is on the main app). */
  consoleApp: express.Express | null;
  // load-adapters
  sweepTargets: SweepTarget[];
  // prepare-listeners
  listen: () => Promise<{ url: string; server: Server }>;
  links: () => AdapterLink[];
}

/** The given parts, and a guard that refuses to read a part no step has provided yet. */
export function startContext(given: Pick<StartContext, 'loaded' | 'config' | 'clock' | 'logger' | 'directoryOverride' | 'devCertsDir' | 'definitions' | 'worker'>): StartContext {
  return new Proxy({ ...given } as StartContext, {
    get(target, part, receiver) {
      if (typeof part === 'string' && !(part in target)) throw new Error(`start-up: ${part} is read before the step that provides it`);
      return Reflect.get(target, part, receiver) as unknown;
    },
  });
}
