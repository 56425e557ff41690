/**
 * Configuration of the senders: SMTP for email, SMS and voice providers, mail templates.
 * One zod schema per section, each option with its default named in its description (the
 * README reference is generated from them). The host's loader turns every `fooFile: PATH`
 * into `foo: <content>` before validation, so secrets and PEM material are declared here only
 * under their value key (`password`, `authToken`, `hmacSecret`, `ca`).
 */
import { z } from 'zod';
import type * as Libphonenumber from 'libphonenumber-js/max';
import { lazyRequire } from './lazy-require.js';

const libphonenumber = lazyRequire<typeof Libphonenumber>('libphonenumber-js/max');
let countries: Set<string> | undefined;
const isCountry = (r: string): boolean => (countries ??= new Set<string>(libphonenumber().getCountries())).has(r);

const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' });

const timeoutMs = (dflt: number) =>
  z.number().int().min(100).max(120_000).default(dflt).describe(`Per-try timeout in milliseconds. Default ${dflt}.`);

const retries = z
  .number()
  .int()
  .min(0)
  .max(5)
  .default(2)
  .describe('Further tries after a network error, a timeout, 408, 429 or 5xx (never after another 4xx). Default 2.');

const retryDelayMs = z
  .number()
  .int()
  .min(0)
  .max(30_000)
  .default(500)
  .describe('First back-off delay in milliseconds, doubled at each retry. Default 500.');

export const smtpConfigSchema = z
  .strictObject({
    kind: z
      .enum(['smtp', 'file'])
      .default('smtp')
      .describe('smtp: send through the server below; file: write each mail as an .eml file into dir and send nothing (to try factorgate without a mail server). Default smtp.'),
    dir: z.string().min(1).optional().describe('With kind file: folder the .eml files are written to, relative to the configuration file. Required with kind file.'),
    host: z.string().min(1).optional().describe('SMTP server name or address. Required with kind smtp.'),
    port: z.number().int().min(1).max(65535).default(587).describe('SMTP port: 587 for submission with STARTTLS, 465 with secure. Default 587.'),
    secure: z
      .boolean()
      .default(false)
      .describe('Implicit TLS from the first byte (RFC 8314, port 465); startTls is then irrelevant. Default false.'),
    startTls: z
      .enum(['required', 'opportunistic', 'never'])
      .default('required')
      .describe('STARTTLS (RFC 3207) when secure is false: required (fail if not offered), opportunistic, or never. Default required.'),
    user: z.string().min(1).optional().describe('User name for SMTP AUTH (RFC 4954). Default: no authentication.'),
    password: z.string().min(1).optional().describe('Password for SMTP AUTH (use passwordFile). Required with user.'),
    from: z
      .string()
      .min(3)
      .regex(/@/, 'expected an address such as "Factorgate <mfa@example.com>"')
      .describe('From header of every mail, e.g. "Factorgate <mfa@example.com>". Required.'),
    ca: z.string().min(1).optional().describe('PEM CA certificates trusted for the server (use caFile). Default: the system store.'),
    rejectUnauthorized: z
      .boolean()
      .default(true)
      .describe('Refuse a server certificate that does not verify. Default true; false only for tests.'),
    timeouts: z
      .strictObject({
        connectionMs: z.number().int().min(100).max(300_000).default(10_000).describe('Time to open the TCP connection. Default 10000.'),
        greetingMs: z.number().int().min(100).max(300_000).default(10_000).describe('Time to wait for the server greeting. Default 10000.'),
        socketMs: z.number().int().min(100).max(600_000).default(30_000).describe('Idle time allowed on the connection. Default 30000.'),
      })
      .prefault({})
      .describe('SMTP timeouts; defaults are short so a dead server fails the send quickly.'),
    maxConnections: z
      .number()
      .int()
      .min(1)
      .max(20)
      .default(5)
      .describe('Connections kept open together for bulk mail (users notify sends over a pool of this many, each reused for up to 100 mails); Microsoft 365 SMTP AUTH allows 3. Default 5.'),
  })
  .superRefine((c, ctx) => {
    if (c.kind === 'smtp' && c.host === undefined) ctx.addIssue({ code: 'custom', path: ['host'], message: 'host is required with kind smtp' });
    if (c.kind === 'file' && c.dir === undefined) ctx.addIssue({ code: 'custom', path: ['dir'], message: 'dir is required with kind file' });
    if (c.user !== undefined && c.password === undefined) {
      ctx.addIssue({ code: 'custom', path: ['password'], message: 'password (or passwordFile) is required with user' });
    }
    if (c.password !== undefined && c.user === undefined) {
      ctx.addIssue({ code: 'custom', path: ['user'], message: 'user is required with password' });
    }
  })
  .describe('Outgoing mail (enrolment notices, emailed codes).');

/** Placeholders an HTTP provider's body template may use. */
export const HTTP_BODY_PLACEHOLDERS = ['to', 'code', 'message', 'mode', 'callbackUrl', 'locale'] as const;
const PLACEHOLDER = /\{\{\s*([A-Za-z]+)\s*\}\}/g;

/**
 * A body template is JSON with `{{name}}` placeholders inside string literals. Checked once at
 * start-up by rendering it with values full of JSON metacharacters: if that is not valid JSON,
 * a placeholder sits outside a string and a user's data could change the document's shape.
 */
function checkBodyTemplate(template: string, ctx: z.core.$RefinementCtx<unknown>): void {
  for (const m of template.matchAll(PLACEHOLDER)) {
    if (!(HTTP_BODY_PLACEHOLDERS as readonly string[]).includes(m[1]!)) {
      ctx.addIssue({
        code: 'custom',
        path: ['bodyTemplate'],
        message: `unknown placeholder {{${m[1]}}}; expected one of ${HTTP_BODY_PLACEHOLDERS.join(', ')}`,
      });
    }
  }
  const probe = template.replace(PLACEHOLDER, '\\"}],\\n');
  try {
    JSON.parse(probe);
  } catch {
    ctx.addIssue({
      code: 'custom',
      path: ['bodyTemplate'],
      message: 'must be JSON with every {{placeholder}} inside a string, e.g. {"to":"{{to}}","text":"{{message}}"}',
    });
  }
}

const consoleProviderSchema = z.strictObject({
  type: z.literal('console').describe('Demo: writes the message to the log instead of sending it.'),
  revealCodes: z
    .boolean()
    .default(false)
    .describe('DEMO ONLY: also log the one-time code so a demo can be completed; never in production. Default false.'),
});

const httpProviderFields = {
  type: z.literal('http').describe('Generic JSON webhook to an SMS/voice gateway.'),
  url: httpUrl.describe('Gateway endpoint. Required.'),
  method: z.enum(['POST', 'PUT']).default('POST').describe('HTTP method. Default POST.'),
  headers: z
    .record(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'expected an HTTP header name'), z.string())
    .default({})
    .describe('Extra request headers (e.g. Authorization, use ${VAR} for tokens). Default none.'),
  bodyTemplate: z
    .string()
    .min(2)
    .default('{"to":"{{to}}","message":"{{message}}"}')
    .describe(
      'JSON body with {{to}}, {{code}}, {{message}}, {{mode}}, {{callbackUrl}}, {{locale}} inside strings; values are JSON-escaped. Default {"to":"{{to}}","message":"{{message}}"}.',
    ),
  hmacSecret: z
    .string()
    .min(16)
    .optional()
    .describe('Key for an HMAC-SHA256 signature over "<timestamp>.<body>" (use hmacSecretFile). Default: unsigned.'),
  signatureHeader: z
    .string()
    .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/)
    .default('X-Factorgate-Signature')
    .describe('Header carrying "t=<unix seconds>,v1=<hex HMAC>". Default X-Factorgate-Signature.'),
  timestampHeader: z
    .string()
    .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/)
    .optional()
    .describe('Also send the signed timestamp alone in this header (for gateways that want it apart). Default none.'),
  messageIdField: z
    .string()
    .min(1)
    .default('id')
    .describe('Field of the JSON reply holding the gateway\'s message id. Default id (our delivery id when absent).'),
  timeoutMs: timeoutMs(5000),
  retries,
  retryDelayMs,
};
const httpProviderSchema = z.strictObject(httpProviderFields).superRefine((c, ctx) => checkBodyTemplate(c.bodyTemplate, ctx));

const twilioProviderFields = {
  type: z.literal('twilio').describe('Twilio Programmable Messaging and Voice REST API.'),
  accountSid: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'expected AC followed by 32 hex digits').describe('Account SID (AC…). Required.'),
  authToken: z.string().min(1).describe('Auth token (use authTokenFile). Required.'),
  from: z
    .string()
    .min(1)
    .describe('Sender: an E.164 number, or a Messaging Service SID (MG…) for SMS. Required.'),
  baseUrl: httpUrl.default('https://api.twilio.com').describe('API root; tests point it at a local server. Default https://api.twilio.com.'),
  timeoutMs: timeoutMs(10_000),
  retries,
  retryDelayMs,
};
const twilioProviderSchema = z.strictObject(twilioProviderFields);

/**
 * Text messages only: replies. With `fraudReplies`, a reply FRAUD (or FRAUDE) to a sent code
 * reports the sign-in (issue 20) through `POST /sms/inbound`, and the text says so. The http
 * gateway's replies must be signed (`hmacSecret`): an unsigned endpoint would let anyone who
 * knows a user's number block the user.
 */
const fraudReplies = z
  .boolean()
  .default(false)
  .describe('Accept a reply FRAUD/FRAUDE to a sent code at POST /sms/inbound (signed like the voice callback) as a fraud report, and add "Not you? Reply FRAUD" to the text. Default false.');

const smsHttpProviderSchema = z.strictObject({ ...httpProviderFields, fraudReplies }).superRefine((c, ctx) => {
  checkBodyTemplate(c.bodyTemplate, ctx);
  if (c.fraudReplies && c.hmacSecret === undefined) {
    ctx.addIssue({ code: 'custom', path: ['fraudReplies'], message: 'fraudReplies needs hmacSecret (or hmacSecretFile): replies must be signed' });
  }
});
const smsTwilioProviderSchema = z.strictObject({ ...twilioProviderFields, fraudReplies });

export const smsProviderConfigSchema = z
  .discriminatedUnion('type', [consoleProviderSchema, smsHttpProviderSchema, smsTwilioProviderSchema])
  .describe('How text messages are sent: console (demo), http (JSON webhook) or twilio.');

export const voiceProviderConfigSchema = z
  .discriminatedUnion('type', [consoleProviderSchema, httpProviderSchema, twilioProviderSchema])
  .describe('How phone calls are placed: console (demo), http (JSON webhook) or twilio.');

/** The policy of a code-sending factor (sms, voice, email); each factor section embeds one. */
export const codeDeliveryPolicySchema = z
  .strictObject({
    codeDigits: z.number().int().min(6).max(10).default(6).describe('Length of the one-time code. Default 6.'),
    codeTtlSeconds: z.number().int().min(30).max(3600).default(300).describe('How long a sent code may be used. Default 300.'),
    resendAfterSeconds: z
      .number()
      .int()
      .min(0)
      .max(600)
      .default(30)
      .describe('Wait before another code may be sent for the same challenge. Default 30.'),
    maxSendsPerChallenge: z.number().int().min(1).max(20).default(3).describe('Codes sent for one challenge at most. Default 3.'),
    maxSendsPerUserPerHour: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(10)
      .describe('Codes sent to one user in any rolling hour at most (toll fraud and harassment guard). Default 10.'),
  })
  .describe('Limits and lifetime of sent codes.');

export const deliveryConfigSchema = z
  .strictObject({
    smtp: smtpConfigSchema.optional(),
    sms: smsProviderConfigSchema.optional(),
    voice: voiceProviderConfigSchema.optional(),
    templatesDir: z
      .string()
      .min(1)
      .optional()
      .describe('Folder of mail template overrides, <dir>/<locale>/<name>.<subject|text|html>.hbs. Default: built-in templates only.'),
    defaultRegion: z
      .string()
      .toUpperCase()
      .refine(isCountry, 'expected an ISO 3166-1 alpha-2 region known to libphonenumber, e.g. FR or US')
      .default('US')
      .describe('Region assumed for phone numbers written without +country code (ISO 3166-1, e.g. FR). Default US.'),
  })
  .describe('Senders: SMTP, SMS and voice providers, mail templates.');

export type SmtpConfig = z.output<typeof smtpConfigSchema>;
export type SmtpConfigInput = z.input<typeof smtpConfigSchema>;
export type SmsProviderConfig = z.output<typeof smsProviderConfigSchema>;
export type VoiceProviderConfig = z.output<typeof voiceProviderConfigSchema>;
export type ProviderConfig = SmsProviderConfig | VoiceProviderConfig;
export type ConsoleProviderConfig = z.output<typeof consoleProviderSchema>;
export type HttpProviderConfig = z.output<typeof httpProviderSchema>;
export type TwilioProviderConfig = z.output<typeof twilioProviderSchema>;
export type CodeDeliveryPolicy = z.output<typeof codeDeliveryPolicySchema>;
export type DeliveryConfig = z.output<typeof deliveryConfigSchema>;
