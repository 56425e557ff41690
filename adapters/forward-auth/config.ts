/**
 * Configuration of the forward-auth adapter (`adapters.forwardAuth`): which proxies may name
 * the original URL, which hosts are protected (and for whom), and the session cookie the
 * protected hosts share. Every option carries its default in its description: the README's
 * configuration reference is generated from this schema.
 */
import { isIP } from 'node:net';
import { duration, z } from '../../src/sdk/adapter.js';

/** `app.example.com` or `*.example.com` (any one or more labels below example.com). */
const HOST_PATTERN = /^(\*\.)?([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const DOMAIN = /^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

const proxyAddress = z.string().refine((v) => {
  const [ip, bits, ...rest] = v.split('/');
  if (rest.length > 0 || !ip || isIP(ip) === 0) return false;
  if (bits === undefined) return true;
  const max = isIP(ip) === 4 ? 32 : 128;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= max;
}, 'expected an IP address or a CIDR block (10.0.0.0/8)');

const ruleSchema = z.strictObject({
  host: z.string().toLowerCase().regex(HOST_PATTERN, 'expected a host name (app.example.com) or a wildcard (*.example.com)').describe('The protected host name, or *.example.com for every host below example.com.'),
  groups: z.array(z.string().min(1)).default([]).describe('Directory groups allowed in (any one suffices): a name matches a membership of that name or a DN whose first RDN has it (CN=Staff,OU=…), a DN only that DN; without case. Empty lets every signed-in user in. Default [].'),
  mfa: z.boolean().default(true).describe('Require a verified second factor; false accepts a session that policy let through without one. Default true.'),
});
export type ForwardAuthRule = z.output<typeof ruleSchema>;

export const forwardAuthConfigSchema = z
  .strictObject({
    rules: z.array(ruleSchema).min(1).describe('Protected hosts, first match wins; a host no rule names is refused (403).'),
    trustedProxies: z.array(proxyAddress).min(1).default(['127.0.0.1', '::1']).describe('Addresses whose X-Original-URL / X-Forwarded-Proto, -Host and -Uri headers are believed; a verify request from anywhere else is refused. Default 127.0.0.1 and ::1.'),
    cookieDomain: z.string().toLowerCase().regex(DOMAIN, 'expected a domain such as example.com').optional().describe('Parent domain the session cookie is scoped to (example.com), so every protected host below it receives it; factorgate must be served below it too. Default none: a host-only cookie.'),
    cookieName: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected letters, digits, _ or -').default('fg_forward_auth').describe('Name of the session cookie. Default fg_forward_auth.'),
    sessionLifetime: duration.default('8h').describe('How long a forward-auth session lasts after the second factor. Default 8h.'),
  })
  .superRefine((c, ctx) => {
    if (!c.cookieDomain) return;
    c.rules.forEach((r, i) => {
      const bare = r.host.replace(/^\*\./, '');
      if (bare !== c.cookieDomain && !bare.endsWith(`.${c.cookieDomain}`)) {
        ctx.addIssue({ code: 'custom', path: ['rules', i, 'host'], message: `host ${r.host} is not below cookieDomain ${c.cookieDomain ?? ''}: it would never receive the session cookie` });
      }
    });
  });

export type ForwardAuthConfig = z.output<typeof forwardAuthConfigSchema>;
