/**
 * Configuration of the RADIUS adapter (`adapters.radius`): where it listens, and the clients
 * (NAS: VPN concentrators, RD Gateway's NPS, switches) it answers, each with its address
 * ranges, shared secret (`secretFile` reads it from a file) and policy. Validated once.
 */
import { isIP } from 'node:net';
import { duration, durationToMs, z } from '../../src/sdk/adapter.js';

const cidr = z.string().refine(
  (s) => {
    const [addr = '', bits, ...rest] = s.split('/');
    const family = isIP(addr);
    if (family === 0 || rest.length > 0) return false;
    if (bits === undefined) return true;
    const n = Number(bits);
    return /^\d{1,3}$/.test(bits) && n >= 0 && n <= (family === 4 ? 32 : 128);
  },
  { error: 'expected an IP address or a CIDR range (10.0.0.0/8, 2001:db8::/32)' },
);

const replyAttributeSchema = z.union([
  z.strictObject({
    name: z.enum(['Class', 'Filter-Id', 'Reply-Message']).describe('A standard attribute taking text (RFC 2865 §5.25, §5.11, §5.18).'),
    value: z.string().min(1).max(253).describe('Its value (at most 253 octets).'),
  }),
  z.strictObject({
    name: z.literal('Session-Timeout').describe('Seconds the session may last (RFC 2865 §5.27).'),
    value: z.number().int().min(1).max(0xffffffff),
  }),
  z.strictObject({
    vendorId: z.number().int().min(1).max(0xffffff).describe('IANA enterprise number (9 Cisco, 311 Microsoft, 12356 Fortinet, …).'),
    type: z.number().int().min(1).max(255).describe('The vendor\'s attribute number (Cisco-AVPair is 1).'),
    value: z.string().min(1).max(247).describe('Its text value (shell:priv-lvl=15, …).'),
  }),
]);

export type ReplyAttributeConfig = z.output<typeof replyAttributeSchema>;

export const radiusClientSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'expected lower-case letters, digits and -')
    .describe('Short name of the client, used in logs and as the audit record\'s relying party.'),
  addresses: z.array(cidr).min(1).describe('Source addresses or CIDR ranges the client sends from; anything else is dropped and logged.'),
  secret: z
    .string()
    .min(16, 'use a shared secret of at least 16 characters (random; RFC 2865 §3 bases its security on it)')
    .max(128)
    .describe('The shared secret (write secretFile to read it from a file).'),
  requireMessageAuthenticator: z
    .boolean()
    .default(true)
    .describe('Drop Access-Requests without a Message-Authenticator (BlastRADIUS, CVE-2024-3596). Default true; one present is always checked.'),
  methods: z
    .array(z.string().regex(/^[a-z][a-z0-9-]*$/, 'expected a factor kind (totp, oath, sms, voice, email, backup-code)'))
    .min(1)
    .optional()
    .describe('Factor kinds this client may use. Default: every kind answered by a typed code.'),
  appPasswords: z.boolean().default(false).describe('Accept an app password (scope radius) in place of password and code. Default false.'),
  oneField: z.boolean().default(true).describe('Accept "password<separator>code" in User-Password, for clients that cannot show a challenge. Default true.'),
  separator: z.string().length(1).default(',').describe('Separator of the one-field form; the code is what follows its last occurrence. Default ",".'),
  locale: z.enum(['en', 'fr']).default('en').describe('Language of Reply-Message prompts. Default en.'),
  attributes: z.array(replyAttributeSchema).default([]).describe('Attributes every Access-Accept carries (Class, Filter-Id, Session-Timeout, vendor attributes).'),
  groupAttributes: z
    .array(
      z.strictObject({
        group: z.string().min(1).describe('A group the user is a member of: its DN or its CN, compared case-insensitively.'),
        attributes: z.array(replyAttributeSchema).min(1),
      }),
    )
    .default([])
    .describe('Attributes added to an Access-Accept for members of a group (the directory attribute memberOf).'),
  demo: z.boolean().default(false).describe('The npm start demo client: its secret is printed in the start banner. Default false.'),
});

export const radiusConfigSchema = z
  .strictObject({
    listen: z
      .strictObject({
        host: z.string().min(1).default('127.0.0.1').describe('Address the UDP socket binds to. Default 127.0.0.1.'),
        port: z.number().int().min(0).max(65535).default(1812).describe('UDP port (RFC 2865: 1812); FACTORGATE_RADIUS_PORT overrides it; 0 picks one. Default 1812.'),
        required: z.boolean().default(true).describe('A port that cannot be bound stops the start; false logs it and runs without RADIUS (the demo). Default true.'),
      })
      .default({ host: '127.0.0.1', port: 1812, required: true }),
    clients: z.array(radiusClientSchema).min(1).describe('The RADIUS clients (NAS) answered.'),
    duplicateWindow: duration
      .refine((d) => durationToMs(d) >= 1000 && durationToMs(d) <= 120_000, 'from 1s to 2m')
      .optional()
      .describe('How long a reply is kept to answer a retransmitted request (same client, identifier and authenticator) without processing it again. Default 10s.'),
    duplicateWindowSeconds: z.number().int().min(1).max(120).optional().describe('Earlier spelling of duplicateWindow, in whole seconds (still read; not with duplicateWindow).'),
    stateLifetime: duration
      .refine((d) => durationToMs(d) >= 30_000 && durationToMs(d) <= 3_600_000, 'from 30s to 1h')
      .optional()
      .describe('How long the State of an Access-Challenge stays valid for the next round (the challenge\'s own expiry still applies). Default 5m.'),
    stateSeconds: z.number().int().min(30).max(3600).optional().describe('Earlier spelling of stateLifetime, in whole seconds (still read; not with stateLifetime).'),
    maxInFlight: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .default(256)
      .describe('Requests processed at once; more are dropped (the client retransmits). Default 256.'),
  })
  .superRefine((cfg, ctx) => {
    // Durations are written as everywhere else ('10s', '5m'); the integer keys of earlier releases still work alone.
    if (cfg.duplicateWindow !== undefined && cfg.duplicateWindowSeconds !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['duplicateWindowSeconds'], message: 'set duplicateWindow or duplicateWindowSeconds, not both' });
    }
    if (cfg.stateLifetime !== undefined && cfg.stateSeconds !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['stateSeconds'], message: 'set stateLifetime or stateSeconds, not both' });
    }
    const names = new Set<string>();
    cfg.clients.forEach((c, i) => {
      if (names.has(c.name)) ctx.addIssue({ code: 'custom', path: ['clients', i, 'name'], message: `client name "${c.name}" is used twice` });
      names.add(c.name);
    });
  })
  .describe('The RADIUS server (RFC 2865, PAP with Access-Challenge): VPNs, RD Gateway and network devices get the second factor.');

/** How long a reply answers retransmissions: `duplicateWindow`, else `duplicateWindowSeconds`, else 10 s. */
export function duplicateWindowMs(cfg: Pick<RadiusConfig, 'duplicateWindow' | 'duplicateWindowSeconds'>): number {
  return cfg.duplicateWindow !== undefined ? durationToMs(cfg.duplicateWindow) : (cfg.duplicateWindowSeconds ?? 10) * 1000;
}

/** How long a challenge State lasts: `stateLifetime`, else `stateSeconds`, else 5 min. */
export function stateLifetimeMs(cfg: Pick<RadiusConfig, 'stateLifetime' | 'stateSeconds'>): number {
  return cfg.stateLifetime !== undefined ? durationToMs(cfg.stateLifetime) : (cfg.stateSeconds ?? 300) * 1000;
}

export type RadiusConfig = z.output<typeof radiusConfigSchema>;
export type RadiusClientConfig = z.output<typeof radiusClientSchema>;
