/**
 * Configuration of the forms-proxy adapter (`adapters.formsProxy`): one entry per legacy app
 * that factorgate fronts. Validated once by the host's loader, then frozen.
 */
import { z } from 'zod';

const path = z.string().startsWith('/', 'expected a path starting with /').max(2048);

const regexSource = z.string().min(1).refine(
  (s) => {
    try {
      new RegExp(s);
      return true;
    } catch {
      return false;
    }
  },
  { error: 'expected a valid regular expression' },
);

export const successRuleSchema = z
  .strictObject({
    status: z
      .array(z.number().int().min(100).max(599))
      .min(1)
      .optional()
      .describe('Reply statuses that mean "signed in", e.g. [302]. Default: any status.'),
    locationPattern: regexSource
      .optional()
      .describe('Regular expression the reply\'s Location header must match. Default: not checked.'),
    setCookie: z
      .string()
      .regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, 'expected a cookie name')
      .optional()
      .describe('Name of the session cookie the app sets on success (e.g. .ASPXAUTH); a reply setting it is always held. Default: not checked.'),
    bodyMustNotContain: z
      .string()
      .min(1)
      .optional()
      .describe('Text whose presence in the reply body means the login failed (e.g. "Invalid password"). Default: not checked.'),
  })
  .refine((r) => r.status !== undefined || r.locationPattern !== undefined || r.setCookie !== undefined || r.bodyMustNotContain !== undefined, {
    error: 'give at least one of status, locationPattern, setCookie, bodyMustNotContain',
  })
  .describe('How factorgate recognises the app\'s "login succeeded" reply; every rule given must hold.');

export const protectSchema = z
  .union([
    z.enum(['all', 'none']),
    z.strictObject({
      patterns: z
        .array(path)
        .min(1)
        .describe('Paths that need factorgate\'s session: exact paths, "/prefix/*" (one segment) or "/prefix/**" (any depth).'),
    }),
  ])
  .describe('Which paths need factorgate\'s own session besides the app\'s: all, none, or { patterns }. Default all.');

export const listenSchema = z
  .union([
    z.strictObject({
      port: z.number().int().min(0).max(65535).describe('TCP port of this app\'s own listener (0 picks a free one, for tests).'),
      host: z.string().min(1).optional().describe('Address the app listener binds to. Default: server.host.'),
    }),
    z.strictObject({
      hostname: z
        .string()
        .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i, 'expected a host name')
        .describe('Host name (the Host header) under which the main listener serves this app.'),
    }),
  ])
  .describe('How browsers reach the app through factorgate: its own port, or a Host name on the main listener.');

export const formsProxyAppSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'expected lower-case letters, digits and -')
    .describe('Short name of the app, used in logs, audit records and cookie names.'),
  listen: listenSchema,
  publicUrl: z
    .url({ protocol: /^https?$/, error: 'expected a URL' })
    .optional()
    .describe('The URL browsers use for this app. Default: the main public URL\'s scheme and host with the app\'s port (or its host name).'),
  upstream: z.url({ protocol: /^https?$/, error: 'expected a URL' }).describe('Where the app really lives, e.g. http://10.0.0.5:8080.'),
  loginPaths: z.array(path).min(1).describe('Paths of the app\'s login form handler, e.g. ["/Account/Login"]; matched after normalisation.'),
  loginMethods: z
    .array(z.string().regex(/^[A-Za-z]+$/, 'expected an HTTP method').transform((m) => m.toUpperCase()))
    .min(1)
    .default(['POST'])
    .describe('Methods that submit the login form (method overrides included). Default ["POST"].'),
  caseInsensitivePaths: z.boolean().default(true).describe('Match paths case-insensitively, as IIS does. Default true.'),
  fields: z
    .strictObject({
      username: z.string().min(1).default('username').describe('Form field holding the user name. Default username.'),
      password: z.string().min(1).default('password').describe('Form field holding the password. Default password.'),
    })
    .default({ username: 'username', password: 'password' })
    .describe('Names of the login form fields.'),
  primary: z
    .enum(['upstream', 'directory'])
    .default('upstream')
    .describe('Who checks the password first: the app itself (upstream) or factorgate\'s directory (directory). Default upstream.'),
  success: successRuleSchema,
  protect: protectSchema.default('all'),
  publicPaths: z
    .array(path)
    .default([])
    .describe('Paths served without factorgate\'s session (same pattern syntax as protect.patterns); the login paths always are. Default none.'),
  cookie: z
    .strictObject({
      name: z
        .string()
        .regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, 'expected a cookie name')
        .optional()
        .describe('Name of factorgate\'s session cookie for this app. Default fg_<name> (with __Host- on https without a domain).'),
      domain: z.string().min(1).optional().describe('Domain attribute of factorgate\'s cookie. Default: host-only.'),
    })
    .default({})
    .describe('factorgate\'s own session cookie for this app.'),
  session: z
    .strictObject({
      idleMinutes: z.number().int().min(1).max(7 * 24 * 60).default(30).describe('Session ends after this long without a request. Default 30.'),
      absoluteMinutes: z.number().int().min(1).max(30 * 24 * 60).default(480).describe('Session ends this long after sign-in, active or not. Default 480.'),
    })
    .default({ idleMinutes: 30, absoluteMinutes: 480 })
    .describe('Lifetimes of factorgate\'s session for this app.'),
  logoutPath: path.optional().describe('A path that ends both factorgate\'s session and (forwarded) the app\'s. Default none.'),
  trustedProxies: z
    .array(z.string().min(1))
    .optional()
    .describe('Peers whose X-Forwarded-* headers are kept (IP addresses, CIDR ranges or "loopback"). Default: server.trustedProxies.'),
  maxLoginBodyBytes: z
    .number()
    .int()
    .min(1024)
    .max(10 * 1024 * 1024)
    .default(64 * 1024)
    .describe('Largest login request body read (bigger ones get 413). Default 65536.'),
  maxHeldReplyBytes: z
    .number()
    .int()
    .min(1024)
    .max(16 * 1024 * 1024)
    .default(1024 * 1024)
    .describe('Largest login reply factorgate holds during the challenge (bigger ones get 502). Default 1048576.'),
  pendingMinutes: z
    .number()
    .int()
    .min(1)
    .max(60)
    .default(10)
    .describe('How long a held login waits for the challenge and its release. Default 10.'),
  demoUpstream: z
    .boolean()
    .default(false)
    .describe('Start the built-in demo legacy app at the upstream URL (the npm start demo). Default false.'),
  proxyTimeoutSeconds: z.number().int().min(1).max(600).default(60).describe('How long to wait for the app\'s reply before a 502. Default 60.'),
});

export const formsProxyConfigSchema = z
  .strictObject({
    apps: z.array(formsProxyAppSchema).min(1).describe('The apps factorgate fronts.'),
  })
  .superRefine((cfg, ctx) => {
    const names = new Set<string>();
    const ports = new Set<number>();
    const hostnames = new Set<string>();
    cfg.apps.forEach((app, i) => {
      if (names.has(app.name)) ctx.addIssue({ code: 'custom', path: ['apps', i, 'name'], message: `app name "${app.name}" is used twice` });
      names.add(app.name);
      if ('port' in app.listen && app.listen.port !== 0) {
        if (ports.has(app.listen.port)) ctx.addIssue({ code: 'custom', path: ['apps', i, 'listen', 'port'], message: `port ${app.listen.port} is used twice` });
        ports.add(app.listen.port);
      }
      if ('hostname' in app.listen) {
        const h = app.listen.hostname.toLowerCase();
        if (hostnames.has(h)) ctx.addIssue({ code: 'custom', path: ['apps', i, 'listen', 'hostname'], message: `host name "${h}" is used twice` });
        hostnames.add(h);
      }
      if (app.session.idleMinutes > app.session.absoluteMinutes) {
        ctx.addIssue({ code: 'custom', path: ['apps', i, 'session', 'idleMinutes'], message: 'must be less than or equal to absoluteMinutes' });
      }
      if (app.fields.username.toLowerCase() === app.fields.password.toLowerCase()) {
        ctx.addIssue({ code: 'custom', path: ['apps', i, 'fields', 'password'], message: 'must differ from fields.username' });
      }
    });
  })
  .describe('The forms-login reverse proxy: factorgate in front of web apps with their own login form.');

export type FormsProxyConfig = z.output<typeof formsProxyConfigSchema>;
export type FormsProxyAppConfig = z.output<typeof formsProxyAppSchema>;
export type SuccessRule = z.output<typeof successRuleSchema>;
