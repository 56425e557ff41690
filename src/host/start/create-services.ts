import { AuditLog } from '../../audit/audit-log.js';
import { CookiePolicy } from '../../http/cookies.js';
import { Csrf, CSRF_KEY_INFO } from '../../http/csrf.js';
import { SessionStore } from '../../http/sessions.js';
import { createMetrics } from '../../kit/metrics.js';
import { PendingLogins } from '../../login/pending-logins.js';
import { createRegulator } from '../../regulation/regulator.js';
import { DerivedKeys } from '../../store/derived-keys.js';
import { UserRepository } from '../../users/user-repository.js';
import { RememberedDevices, REMEMBERED_DEVICE_KEY_PURPOSE } from '../../devices/remembered-devices.js';
import { createPages } from '../pages/page-api.js';
import { StoreReplayCache } from '../replay-cache.js';
import type { StartStep } from './start-context.js';

/** The services every route shares live in the store, not in memory, so any host on the same store continues any sign-in. */
export const createServices: StartStep = (ctx) => {
  const { config, clock, logger, store, secrets } = ctx;
  const cookies = new CookiePolicy(config.publicUrl);
  if (!cookies.secure && !['localhost', '127.0.0.1', '[::1]'].includes(new URL(config.publicUrl).hostname)) {
    logger.warn({ publicUrl: config.publicUrl }, 'server.publicUrl is plain HTTP on a non-local host: cookies are not Secure; put TLS in front');
  }
  ctx.cookies = cookies;
  ctx.csrf = new Csrf(new DerivedKeys(ctx.keys, CSRF_KEY_INFO, ctx.derivedKeyOptions), cookies);
  ctx.users = new UserRepository(store.db, clock);
  ctx.audit = new AuditLog(store.db, clock, logger);
  ctx.regulation = createRegulator({ config: config.regulation, db: store.db, clock, audit: ctx.audit, logger });
  ctx.sessions = new SessionStore(store.db, clock, cookies, config.session.lifetimeMinutes * 60_000, config.session.idleMinutes * 60_000);
  ctx.replay = new StoreReplayCache(store.db, clock);
  ctx.metrics = createMetrics();
  ctx.pending = new PendingLogins(store.db, secrets, clock, cookies, config.challenge.ttlSeconds * 1000);
  ctx.pages = createPages({ branding: config.branding, clock, csrf: ctx.csrf });
  // Their cookies are MACed with a key derived from the pinned root, so it survives key rotation.
  ctx.devices = new RememberedDevices(store.db, secrets.deriveKey(REMEMBERED_DEVICE_KEY_PURPOSE), cookies);
};
