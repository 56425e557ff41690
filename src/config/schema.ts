/**
 * The host's configuration schema: one zod schema per section, each option with its default
 * and a one-line description (the README's configuration reference is generated from these;
 * `test/host/config-docs.test.ts` fails when it drifts). Adapters declare their own sections;
 * the host validates `adapters.<key>` with the registered adapter's schema.
 *
 * Every key ending in `File` is replaced by the content of that file before validation
 * (`passwordFile: /run/secrets/pw` → `password`), so schemas declare only the value key.
 */
import { z } from 'zod';
import { fileDirectoryConfigSchema } from '../directory/file/config.js';
import { ldapDirectoryConfigSchema } from '../directory/ldap/config.js';
import { codeDeliveryPolicySchema, deliveryConfigSchema } from '../delivery/config.js';
import { duration, durationToMs } from '../kit/durations.js';
import { policiesConfigSchema } from '../policy/config.js';


export const serverConfigSchema = z
  .strictObject({
    port: z.number().int().min(0).max(65535).default(8080).describe('TCP port of the main listener; FACTORGATE_PORT overrides it. Default 8080.'),
    host: z.string().min(1).default('0.0.0.0').describe('Address the listener binds to. Default 0.0.0.0 (the demo binds 127.0.0.1).'),
    publicUrl: z
      .url({ protocol: /^https?$/, error: 'expected an http(s) URL' })
      .optional()
      .describe('The URL users and relying parties reach factorgate at (behind a proxy: the outside URL). Default http://localhost:<port>.'),
    trustedProxies: z
      .array(z.string().min(1))
      .default([])
      .describe('Peers allowed to set X-Forwarded-For/Proto/Host (IP addresses or CIDR ranges, or loopback); everyone else\'s are ignored. Default none.'),
    tls: z
      .strictObject({
        cert: z.string().min(1).describe('PEM certificate chain (use certFile to read it from a file).'),
        key: z.string().min(1).describe('PEM private key (use keyFile to read it from a file).'),
      })
      .optional()
      .describe('Serve HTTPS on the main listener. Default: plain HTTP (put a TLS proxy in front).'),
    shutdownTimeoutSeconds: z.number().positive().max(300).default(10).describe('On SIGTERM, how long in-flight requests may take to finish. Default 10.'),
    maxBodyBytes: z.number().int().min(1024).max(10 * 1024 * 1024).default(256 * 1024).describe('Largest request body accepted by the host\'s own forms. Default 262144.'),
    // issue 25: all cores (src/host/cluster).
    workers: z
      .union([z.literal('auto'), z.number().int().min(1).max(256)])
      .default(1)
      .describe('Processes serving the port (node:cluster): a number, or auto for one per core (os.availableParallelism()). Default 1: one process, no cluster.'),
  })
  .describe('The HTTP listener.');

export const storeConfigSchema = z
  .discriminatedUnion('driver', [
    z.strictObject({
      driver: z.literal('sqlite').describe('Embedded SQLite (one host, or hosts sharing a local file).'),
      path: z.string().min(1).optional().describe('SQLite database file. Default <dataDir>/factorgate.db.'),
    }),
    z.strictObject({
      driver: z.literal('postgres').describe('PostgreSQL, shared by several hosts for high availability.'),
      url: z.string().min(1).describe('Connection string, e.g. postgres://user:pw@db/factorgate (use urlFile to keep it out of the file).'),
      poolSize: z.number().int().min(1).max(100).default(10).describe('Connections per host. Default 10.'),
    }),
  ])
  .describe('Where users, factors, challenges, sessions and audit records live. Default: SQLite.');

export const secretsConfigSchema = z
  .strictObject({
    keys: z
      .array(
        z.strictObject({
          id: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'expected 1-32 letters, digits, _ or -').describe('Key id written into each ciphertext.'),
          key: z
            .string()
            .regex(/^(?:[A-Fa-f0-9]{64}|[A-Za-z0-9+/]{43}=)$/, 'expected 32 bytes as 64 hex digits or base64')
            .describe('The 256-bit key, hex or base64 (use keyFile).'),
          activeFrom: z.iso
            .datetime({ offset: true, error: 'expected an ISO 8601 time such as 2026-12-06T15:00:00Z' })
            .optional()
            .describe('When the key starts encrypting new values; before that it only decrypts, so every host can have it first (keys rotate --activate-in). Default: at once.'),
        }),
      )
      .min(1)
      .optional()
      .describe('Key-encryption keys, oldest first: the last active one encrypts new secrets, all of them decrypt. factorgate keys rotate|rewrap|retire. Default: the key files under <dataDir>/keys/ (demo only).'),
    previousKeyGraceMinutes: z
      .number()
      .int()
      .min(0)
      .max(60 * 24 * 30)
      .optional()
      .describe('After a rotation, how long forms and sent codes made under the previous key are still accepted. Default: session.lifetimeMinutes.'),
  })
  .describe('Encryption of secrets at rest (TOTP seeds, token secrets, held replies) and the keys derived from them (CSRF, code pepper, PIN hashes).');

export const loggingConfigSchema = z
  .strictObject({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('Log level. Default info.'),
    outageIntervalSeconds: z.number().int().min(1).max(3600).default(60).describe('While the store is unreachable, requests answer 503 and the outage is logged once per this many seconds (with how many requests it refused). Default 60.'),
  })
  .describe('Structured logs (JSON lines on standard output).');

export const brandingConfigSchema = z
  .strictObject({
    productName: z.string().min(1).max(80).default('factorgate').describe('Name shown on pages and in authenticator apps. Default factorgate.'),
    logoUrl: z.string().min(1).optional().describe('Logo image URL shown above forms. Default none.'),
    primaryColor: z
      .string()
      .regex(/^#[0-9a-fA-F]{6}$/, 'expected a colour like #1f5fbf')
      .default('#1f5fbf')
      .describe('Accent colour of buttons and links. Default #1f5fbf.'),
    defaultLocale: z.enum(['en', 'fr']).default('en').describe('Language when the browser asks for none we have. Default en.'),
    // Issue 26 item 6: a locked or refused user is told what to do and until when.
    helpdesk: z
      .strictObject({
        text: z.string().min(1).max(300).optional().describe('What to do, in your words (e.g. "Call the IT help desk on 1234."). Default: "Contact your help desk." in the page\'s language.'),
        url: z
          .string()
          .regex(/^(https?:\/\/[^\s]+|mailto:[^\s]+|tel:[+0-9().\- ]+)$/i, 'an http(s)://, mailto: or tel: link')
          .optional()
          .describe('Makes the help-desk text a link (https://…, mailto:…, tel:…). Default none.'),
      })
      .prefault({})
      .describe('Help desk named on the lock and refusal pages.'),
    timeZone: z
      .string()
      .min(1)
      .refine(isTimeZone, 'an IANA time zone such as Europe/Paris or UTC')
      .optional()
      .describe('Time zone of times shown on pages (a lock\'s end), with its UTC offset. Default: the server\'s own (TZ).'),
  })
  .describe('Look of the pages users meet.');

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export const directoryConfigSchema = z
  .discriminatedUnion('type', [fileDirectoryConfigSchema, ldapDirectoryConfigSchema])
  .describe('Where users and passwords come from. Default: the demo YAML file.');

export const challengeConfigSchema = z
  .strictObject({
    ttlSeconds: z.number().int().min(30).max(3600).default(300).describe('How long a challenge may be answered. Default 300.'),
    enrolmentPolicy: z
      .enum(['enroll', 'deny', 'allow'])
      .default('enroll')
      .describe('A user with no method: enroll (register an app on the spot), deny, or allow (pass without a second factor; audited). Default enroll.'),
    lockout: z
      .strictObject({
        maxFailures: z.number().int().min(1).max(100).default(5).describe('Consecutive failed codes that lock the user. Default 5.'),
        lockMinutes: z.number().int().min(1).max(24 * 60).default(15).describe('How long a locked user stays locked. Default 15.'),
      })
      .prefault({})
      .describe('Lockout after failed codes, counted in the store (every host sees it).'),
  })
  .describe('The second-factor challenge.');

/** Regulation of primary sign-in (issue 16, after Authelia's regulator): see README "Security". */
export const regulationConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Refuse password sign-ins for a while after repeated failures. Default true.'),
    findTime: duration.default('5m').describe('Failures are counted within this window. Default 5m.'),
    banTime: duration.default('5m').describe('How long an account or client is refused once over its limit; doubles on each repeat. Default 5m.'),
    maxBanTime: duration.default('1h').describe('Longest refusal; after this long without a ban the doubling starts again. Default 1h.'),
    refusalDelay: duration
      .default('1s')
      .describe('A refused try is answered after this delay: a client that waits for each answer is slowed to one try per delay per connection, and a flood costs the host a timer rather than CPU. Default 1s.'),
    account: z
      .strictObject({ maxFailures: z.number().int().min(1).max(1000).default(5).describe('Failed passwords for one sign-in name (normalised) within findTime. Keep it below the directory\'s own lockout threshold. Default 5.') })
      .prefault({})
      .describe('Per account (the submitted name, whether it exists or not).'),
    client: z
      .strictObject({ maxFailures: z.number().int().min(1).max(10000).default(20).describe('Failed passwords from one client address (after server.trustedProxies; IPv6 by /64) within findTime. Default 20.') })
      .prefault({})
      .describe('Per client address.'),
    passwordChecks: z
      .strictObject({
        maxInFlight: z.number().int().min(1).max(64).default(2).describe('Password checks (hash or directory bind) run at once per process (each of server.workers has its own); more wait. Default 2.'),
        queueWait: duration.default('2s').describe('How long a password check may wait for its turn before the page says "temporarily unavailable" (503). Default 2s.'),
        perSecond: z
          .number()
          .min(0.1)
          .max(10_000)
          .default(20)
          .describe('Password checks started per second per host, on average (beyond it they wait like checks over maxInFlight): a flood gets this many hashes, not the CPU. 20/s is 72,000 sign-ins an hour. Default 20.'),
        burst: z.number().int().min(1).max(100_000).default(40).describe('Password checks that may start at once after a quiet spell, above perSecond. Default 40.'),
      })
      .prefault({})
      .describe('Bounded password checks (in flight and per second), so a flood cannot starve second factors and single sign-on.'),
  })
  .superRefine((r, ctx) => {
    // Runs even when a duration above was malformed (already reported): skip what cannot be read.
    const ms = (d: string): number | null => (/^\d+(ms|s|m|h|d)$/.test(d) ? durationToMs(d) : null);
    const [find, ban, maxBan, wait, delay] = [ms(r.findTime), ms(r.banTime), ms(r.maxBanTime), ms(r.passwordChecks.queueWait), ms(r.refusalDelay)];
    if (ban !== null && maxBan !== null && ban > maxBan) ctx.addIssue({ code: 'custom', path: ['banTime'], message: `must be less than or equal to maxBanTime (${r.maxBanTime})` });
    if (find !== null && find < 1000) ctx.addIssue({ code: 'custom', path: ['findTime'], message: 'must be at least 1s' });
    if (ban !== null && ban < 1000) ctx.addIssue({ code: 'custom', path: ['banTime'], message: 'must be at least 1s' });
    if (maxBan !== null && maxBan > 30 * 24 * 3600_000) ctx.addIssue({ code: 'custom', path: ['maxBanTime'], message: 'must be at most 30d' });
    if (delay !== null && delay > 10_000) ctx.addIssue({ code: 'custom', path: ['refusalDelay'], message: 'must be at most 10s' });
    if (wait !== null && wait > 60_000) ctx.addIssue({ code: 'custom', path: ['passwordChecks', 'queueWait'], message: 'must be at most 60s' });
  })
  .describe('Regulation of password sign-in: per account and per client, checked before the directory is asked.');

export const totpConfigSchema = z
  .strictObject({
    issuer: z.string().min(1).optional().describe('Issuer shown in authenticator apps. Default: branding.productName.'),
    algorithm: z.enum(['SHA1', 'SHA256', 'SHA512']).default('SHA1').describe('HMAC algorithm (most apps only support SHA1). Default SHA1.'),
    digits: z.union([z.literal(6), z.literal(8)]).default(6).describe('Code length. Default 6.'),
    period: z.number().int().min(15).max(120).default(30).describe('Time step in seconds. Default 30.'),
    window: z.number().int().min(0).max(10).default(1).describe('Steps accepted either side of now, for clock drift. Default 1.'),
  })
  .describe('Authenticator-app codes (RFC 6238).');

/**
 * Delivered-code methods (issue 10). A section's presence turns the method on for every user
 * whose directory entry gives the number or address; the sender itself is configured under
 * `delivery` (one provider may serve several methods, and `users notify` shares the SMTP server).
 */
const pinModeSchema = z
  .enum(['off', 'required'])
  .default('off')
  .describe('off, or required: the user also types a PIN they hold (set by users notify or at /portal/pin, stored hashed and peppered); without a PIN the method is not offered. Default off.');

export const smsFactorConfigSchema = codeDeliveryPolicySchema
  .extend({ pin: pinModeSchema })
  .describe('Codes by text message to the directory\'s mobile number (else its phone number); needs delivery.sms. Default: off.');

export const voiceFactorConfigSchema = codeDeliveryPolicySchema
  .extend({
    mode: z
      .enum(['read-code', 'press-pound'])
      .default('read-code')
      .describe('read-code: the call reads a code the user types; press-pound: the user presses # and the provider calls back (http or twilio providers only). Default read-code.'),
    pin: pinModeSchema,
  })
  .describe('Phone calls to the directory\'s phone number (else its mobile number); needs delivery.voice. Default: off.');

export const emailFactorConfigSchema = codeDeliveryPolicySchema
  .extend({
    transport: z
      .enum(['smtp', 'console'])
      .default('smtp')
      .describe('smtp (delivery.smtp), or console: DEMO ONLY, the mail is written to the log instead of sent. Default smtp.'),
    revealCodes: z
      .boolean()
      .default(false)
      .describe('DEMO ONLY, with transport console: also log the code so a demo can be completed. Default false.'),
  })
  .describe('Codes by email to the directory\'s address; needs delivery.smtp unless transport is console. Default: off.');

/**
 * WebAuthn security keys and passkeys (issue 24). Off unless the section is present: the RP ID
 * must be the domain users see, and a key registered under one RP ID never works under another.
 */
export const webauthnConfigSchema = z
  .strictObject({
    rpId: z.string().min(1).optional().describe('Relying party ID: server.publicUrl\'s host, or a parent domain of it (keys then work on every host under it). Default: publicUrl\'s host.'),
    origins: z.array(z.url()).min(1).optional().describe('Origins a signature may come from (scheme://host[:port]). Default: the origin of server.publicUrl.'),
    attestation: z.enum(['none', 'direct']).default('none').describe('none, or direct: ask the key for its attestation (needed for allowedAaguids). Default none.'),
    allowedAaguids: z.array(z.guid()).default([]).describe('With attestation direct: only authenticators of these AAGUIDs may be registered (admins who issue specific keys). Default: any.'),
    userVerification: z.enum(['discouraged', 'preferred', 'required']).default('preferred').describe('Ask the key for a PIN or biometric: preferred, required or discouraged. Default preferred.'),
    userVerificationRequiredFor: z
      .strictObject({
        roles: z.array(z.enum(['admin', 'helpdesk'])).default([]).describe('Holders of these admin.roles (e.g. admin) must verify (PIN or biometric) on their key. Default none.'),
        groups: z.array(z.string().min(1)).default([]).describe('Members of these directory groups (memberOf: full DN or CN) must verify on their key. Default none.'),
        users: z.array(z.string().min(1)).default([]).describe('These usernames must verify on their key. Default none.'),
      })
      .prefault({})
      .describe('Who must use user verification whatever userVerification says (registration and sign-in refused without it).'),
    counterRegression: z.enum(['refuse', 'audit']).default('refuse').describe('A signature counter that goes backwards (a cloned key): refuse, or audit and accept. Audited either way. Default refuse.'),
    offerAtEnrolment: z.boolean().default(false).describe('Offer a security key, rather than an authenticator app, to users enrolling their first method at sign-in (needs JavaScript). Default false.'),
  })
  .refine((w) => w.allowedAaguids.length === 0 || w.attestation === 'direct', { path: ['allowedAaguids'], message: 'needs attestation: direct (without attestation the browser hides the AAGUID)' })
  .describe('Security keys and passkeys (WebAuthn). Default: off.');

export const factorsConfigSchema = z
  .strictObject({
    totp: totpConfigSchema.prefault({}),
    webauthn: webauthnConfigSchema.optional(),
    sms: smsFactorConfigSchema.optional(),
    voice: voiceFactorConfigSchema.optional(),
    email: emailFactorConfigSchema.optional(),
  })
  .describe('Second-factor methods.');

export const sessionConfigSchema = z
  .strictObject({
    lifetimeMinutes: z.number().int().min(1).max(7 * 24 * 60).default(480).describe('Absolute lifetime of a signed-in session (single sign-on). Default 480.'),
    idleMinutes: z.number().int().min(1).max(24 * 60).default(60).describe('A session unused this long ends. Default 60.'),
  })
  .describe('The host\'s own signed-in session after a second factor.');

export const signingConfigSchema = z
  .strictObject({
    keys: z
      .array(
        z.strictObject({
          cert: z.string().min(1).describe('PEM certificate (use certFile).'),
          key: z.string().min(1).optional().describe('PEM private key (use keyFile); omit for a certificate only published during rollover.'),
        }),
      )
      .min(1)
      .describe('Signing key pairs: the first with a key signs; every certificate is published in metadata (rollover).'),
  })
  .describe('SAML signing keys. Default: a development pair generated under certs/dev/.');

export const metricsConfigSchema = z
  .strictObject({
    bearerToken: z
      .string()
      .min(16, 'expected at least 16 characters')
      .regex(/^[A-Za-z0-9._~+/=-]+$/, 'expected a bearer token (RFC 6750 characters: letters, digits, . _ ~ + / = -)')
      .optional()
      .describe('Scrapers of GET /metrics must send "Authorization: Bearer <token>" (use bearerTokenFile). Default: /metrics is open.'),
  })
  .describe('The Prometheus endpoint GET /metrics.');

const adminRoleMembers = z
  .strictObject({
    groups: z.array(z.string().min(1)).default([]).describe('Directory groups (memberOf: full DN or CN) whose members hold the role. Default none.'),
    users: z.array(z.string().min(1)).default([]).describe('Usernames that hold the role. Default none.'),
  })
  .prefault({});

/** Help-desk and admin operations (issue 18): the CLI, the /admin console and the API read the same keys. */
export const adminConfigSchema = z
  .strictObject({
    bypass: z
      .strictObject({
        defaultMinutes: z.number().int().min(1).max(24 * 60).default(5).describe('How long a one-time bypass stays usable when no length is given. Default 5.'),
        maxMinutes: z.number().int().min(1).max(24 * 60).default(60).describe('The longest one-time bypass an admin may grant. Default 60.'),
      })
      .prefault({})
      .refine((b) => b.defaultMinutes <= b.maxMinutes, { message: 'defaultMinutes must be less than or equal to maxMinutes', path: ['defaultMinutes'] })
      .describe('One-time bypass: the next sign-in skips the second factor once, within its time.'),
    roles: z
      .strictObject({
        admin: adminRoleMembers.describe('Everything helpdesk may, plus disable/enable, token assignment and token stock.'),
        helpdesk: adminRoleMembers.describe('View users and reports, unlock, reset methods, remove one method, bypass, revoke app passwords, resync a token, resend enrolment (not disable/enable nor token assignment: admin).'),
      })
      .prefault({})
      .describe('Who may use the /admin console: directory groups (memberOf, full DN or CN) or usernames per role. Default: nobody.'),
    sessionIdle: duration.refine((s) => durationToMs(s) >= 60_000, 'at least 1m').default('30m').describe('An admin console session unused this long ends. Default 30m.'),
    sessionMax: duration.refine((s) => durationToMs(s) >= 60_000, 'at least 1m').default('8h').describe('Absolute lifetime of an admin console session. Default 8h.'),
    listen: z
      .strictObject({
        host: z.string().min(1).default('127.0.0.1').describe('Address the console listener binds to. Default 127.0.0.1.'),
        port: z.number().int().min(0).max(65535).describe('TCP port of the console listener.'),
      })
      .optional()
      .describe('Serve /admin on its own listener (recommended: an internal address, not the Internet-facing one); /admin then answers 404 on the main listener. Default: on the main listener.'),
  })
  .describe('Help-desk and admin operations: the /admin console and users show|reset|bypass|disable|enable.');

/** The self-service portal (issue 19): what users may change themselves. */
export const portalConfigSchema = z
  .strictObject({
    directoryOwns: z
      .array(z.enum(['phone', 'email']))
      .default([])
      .describe('Contact details only the directory sets: users cannot add or change a phone (SMS/voice) or an email for codes in /portal/methods. Default none: users add their own, verified by a code.'),
  })
  .describe('The self-service portal /portal.');

export const rootConfigSchema = z
  .strictObject({
    dataDir: z.string().min(1).default('./data').describe('Folder for the SQLite file and generated demo files; FACTORGATE_DATA overrides it. Default ./data.'),
    server: serverConfigSchema.prefault({}),
    store: storeConfigSchema.default({ driver: 'sqlite' }),
    secrets: secretsConfigSchema.optional(),
    logging: loggingConfigSchema.prefault({}),
    branding: brandingConfigSchema.prefault({}),
    directory: directoryConfigSchema.optional(),
    challenge: challengeConfigSchema.prefault({}),
    regulation: regulationConfigSchema.prefault({}),
    factors: factorsConfigSchema.prefault({}),
    session: sessionConfigSchema.prefault({}),
    signing: signingConfigSchema.optional(),
    delivery: deliveryConfigSchema.optional(),
    metrics: metricsConfigSchema.prefault({}),
    admin: adminConfigSchema.prefault({}),
    portal: portalConfigSchema.prefault({}),
    policies: policiesConfigSchema.prefault({}),
    plugins: z
      .array(z.string().min(1))
      .default([])
      .describe('Extra adapters to load: package names (@acme/factorgate-adapter-x) or paths relative to this file (./local/adapter.js) of ES modules exporting an AdapterDefinition. Default none.'),
    adapters: z
      .record(z.string(), z.unknown())
      .default({})
      .describe('One section per adapter (samlIdp, samlBridge, formsProxy, …); an adapter runs when its section is present.'),
  })
  .superRefine((c, ctx) => {
    // A method without its sender would only fail at the first sign-in; say so at start-up.
    const needs: [keyof typeof c.factors, boolean, string][] = [
      ['sms', c.delivery?.sms !== undefined, 'delivery.sms (a provider)'],
      ['voice', c.delivery?.voice !== undefined, 'delivery.voice (a provider)'],
      ['email', c.delivery?.smtp !== undefined || c.factors.email?.transport === 'console', 'delivery.smtp (or transport: console)'],
    ];
    for (const [method, ok, what] of needs) {
      if (c.factors[method] !== undefined && !ok) ctx.addIssue({ code: 'custom', path: ['factors', method], message: `needs ${what}` });
    }
    if (c.factors.voice?.mode === 'press-pound' && c.delivery?.voice?.type === 'console') {
      ctx.addIssue({ code: 'custom', path: ['factors', 'voice', 'mode'], message: 'press-pound needs a provider that calls back (http or twilio), not console' });
    }
    if (c.policies.fraud.notify.length > 0 && c.delivery?.smtp === undefined) {
      ctx.addIssue({ code: 'custom', path: ['policies', 'fraud', 'notify'], message: 'needs delivery.smtp (the admins are mailed through it)' });
    }
  })
  .describe('factorgate configuration.');

export type RootConfigInput = z.input<typeof rootConfigSchema>;
export type RootConfig = z.output<typeof rootConfigSchema>;

/** The validated configuration with every default resolved (paths absolute, URL known). */
export interface HostConfig extends Omit<RootConfig, 'directory' | 'adapters'> {
  directory: z.output<typeof directoryConfigSchema>;
  adapters: Readonly<Record<string, unknown>>;
  /** The configuration file, or null for the embedded demo defaults. */
  configFile: string | null;
  demo: boolean;
  publicUrl: string;
}

