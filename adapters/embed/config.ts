/**
 * Configuration of the embed adapter (`adapters.embed`): the apps that send their users here for
 * a second factor (`factorgate/express`), each with the shared secret that signs its requests
 * (`secretFile` reads it from a file at start), the return URLs it may name and the audience its
 * results carry; how long a result lives and how long a signing key signs. Validated once.
 */
import { duration, durationToMs, z } from '../../src/sdk/adapter.js';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** An allowed return URL: an absolute http(s) origin and a path prefix, nothing else. */
const returnUrl = z.string().superRefine((v, ctx) => {
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'expected an absolute URL (https://app.example.com/path/)' });
    return;
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
    ctx.addIssue({ code: 'custom', message: 'expected https:// (plain http:// only on localhost)' });
  }
  if (url.username !== '' || url.password !== '') ctx.addIssue({ code: 'custom', message: 'a return URL carries no user name or password' });
  if (url.search !== '' || url.hash !== '') ctx.addIssue({ code: 'custom', message: 'a return URL is an origin and a path prefix: no query, no fragment' });
});

const clientSchema = z.strictObject({
  id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'expected lower-case letters, digits, ".", "_" or "-"')
    .describe('The client id the app names in its requests (FactorgateStrategy `client`); the audit record\'s relying party.'),
  secret: z
    .string()
    .min(32, 'expected at least 32 random characters (openssl rand -base64 32): it is the HS256 key of the app\'s requests')
    .max(512)
    .describe('The shared secret that signs the app\'s requests (HS256); write secretFile to read it from a file.'),
  returnUrls: z
    .array(returnUrl)
    .min(1)
    .describe('Where results may be sent: exact origin plus path prefix (https://intranet.example.com/ allows every path there, …/payroll only /payroll and below).'),
  audience: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('The `aud` of the results for this app. Default: the client id.'),
});

export type EmbedClientConfig = z.output<typeof clientSchema>;

export const embedConfigSchema = z
  .strictObject({
    clients: z.array(clientSchema).min(1).describe('The apps that embed factorgate (factorgate/express).'),
    resultLifetime: duration
      .refine((d) => durationToMs(d) >= 10_000 && durationToMs(d) <= 120_000, 'expected 10s to 2m: a result is used at once')
      .default('60s')
      .describe('How long a signed result is valid after it is issued (10s to 2m). Default 60s.'),
    requestMaxAge: duration
      .refine((d) => durationToMs(d) >= 30_000 && durationToMs(d) <= 600_000, 'expected 30s to 10m')
      .default('5m')
      .describe('The longest an app\'s signed request may live (exp - iat), and how old its iat may be. Default 5m.'),
    signingKeyLifetime: duration
      .refine((d) => durationToMs(d) >= 3_600_000, 'expected at least 1h')
      .default('30d')
      .describe('How long one ES256 key signs results before a new one is made; the old one stays in the JWKS one more day. Default 30d.'),
  })
  .superRefine((c, ctx) => {
    const ids = new Set<string>();
    c.clients.forEach((client, i) => {
      if (ids.has(client.id)) ctx.addIssue({ code: 'custom', path: ['clients', i, 'id'], message: `client id "${client.id}" is used twice` });
      ids.add(client.id);
    });
  })
  .describe('Apps that add factorgate\'s second factor with factorgate/express (requireMfa, FactorgateStrategy).');

export type EmbedConfig = z.output<typeof embedConfigSchema>;
