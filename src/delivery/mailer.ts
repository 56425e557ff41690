/**
 * Outgoing mail over SMTP (nodemailer). Every failure becomes `DELIVERY_FAILED` with a detail
 * naming the SMTP stage and reply, so the challenge page can offer another method and the
 * audit record says why.
 */
import type Nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import type { Logger } from 'pino';
import { FactorgateError } from '../kit/errors.js';
import type { SmtpConfig } from './config.js';
import type { Locale } from './locale.js';
import { scrub } from './providers/request-with-retry.js';
import { emlFolderTransport, type MailTransport } from './eml-folder.js';
import { lazyRequire } from './lazy-require.js';
import { loadTemplates, type TemplateEvent, type TemplateVarsByEvent, type Templates } from './templates.js';

const nodemailer = lazyRequire<typeof Nodemailer>('nodemailer');

/** An address, or a display name with an address (the name is encoded per RFC 2047 if needed). */
export type Recipient = string | { name: string; address: string };

export interface MailMessage {
  to: Recipient;
  subject: string;
  text: string;
  html: string;
}

export interface SentMail {
  messageId: string;
}

export interface Mailer {
  sendMail(msg: MailMessage): Promise<SentMail>;
  sendTemplate<E extends TemplateEvent>(event: E, locale: Locale, vars: TemplateVarsByEvent[E], to: Recipient): Promise<SentMail>;
  /** Connects, negotiates TLS and authenticates without sending: for check-config and readiness. */
  verify(): Promise<void>;
  close(): void;
}

export interface MailerDeps {
  logger?: Logger | undefined;
  /** Default: the built-in templates. */
  templates?: Templates | undefined;
  /**
   * Bulk sending (users notify): keep up to `maxConnections` connections open and send many
   * mails over each, instead of a connect, greeting, EHLO, STARTTLS and AUTH per mail.
   */
  pooled?: boolean | undefined;
}

/**
 * Maps our settings onto nodemailer's. STARTTLS (RFC 3207) on submission (RFC 6409, port 587):
 * - required → `requireTLS`: refuse to go on if the server does not offer STARTTLS, so the
 *   password and the mail never cross the network in clear, even under a downgrade attack
 *   that strips the STARTTLS capability from the EHLO reply;
 * - opportunistic → nodemailer's default: upgrade when offered, else continue in clear (an
 *   active attacker can force the latter: credentials would then travel in clear);
 * - never → `ignoreTLS`.
 * `secure` is implicit TLS (RFC 8314 §3.3, port 465): STARTTLS does not apply.
 */
export function toTransportOptions(config: SmtpConfig): SMTPTransport.Options {
  const options: SMTPTransport.Options = {
    // Checked by the schema for kind smtp, the only kind that reaches here.
    host: config.host!,
    port: config.port,
    secure: config.secure,
    connectionTimeout: config.timeouts.connectionMs,
    greetingTimeout: config.timeouts.greetingMs,
    socketTimeout: config.timeouts.socketMs,
    tls: {
      rejectUnauthorized: config.rejectUnauthorized,
      minVersion: 'TLSv1.2',
      ...(config.ca ? { ca: config.ca } : {}),
    },
    disableFileAccess: true,
    disableUrlAccess: true,
  };
  if (!config.secure) {
    if (config.startTls === 'required') options.requireTLS = true;
    if (config.startTls === 'never') options.ignoreTLS = true;
  }
  if (config.user !== undefined && config.password !== undefined) {
    options.auth = { user: config.user, pass: config.password };
  }
  return options;
}

interface NodemailerError {
  code?: string;
  command?: string;
  responseCode?: number;
  response?: string;
  message?: string;
}

/** The SMTP transport, one connection per mail or pooled; or the .eml folder of kind file. */
function createTransport(config: SmtpConfig, pooled: boolean): MailTransport {
  if (config.kind === 'file') return emlFolderTransport(nodemailer(), config.dir!);
  const options = toTransportOptions(config);
  if (!pooled) return nodemailer().createTransport(options) as MailTransport;
  // RFC 5321 §4.5.3.1.8 lets a client send many messages per session; the connection is rotated
  // after 100 to bound what one long session can hold on either side.
  return nodemailer().createTransport({ ...options, pool: true, maxConnections: config.maxConnections, maxMessages: 100 }) as MailTransport;
}

export function createMailer(config: SmtpConfig, deps: MailerDeps = {}): Mailer {
  const transport = createTransport(config, deps.pooled ?? false);
  const templates = deps.templates ?? loadTemplates();
  const log = deps.logger?.child({ component: 'mailer' });
  const secrets = config.password ? [config.password] : [];

  function failure(err: unknown, stage: string): FactorgateError {
    const e = (err ?? {}) as NodemailerError;
    const reply = e.response ?? e.message;
    // nodemailer's `response` already starts with the reply code; do not say it twice.
    const code = e.responseCode !== undefined && !reply?.startsWith(String(e.responseCode)) ? e.responseCode : undefined;
    const parts = [e.code, e.command, code, reply].filter((p) => p !== undefined && p !== '');
    const detail = scrub(`smtp ${stage} failed: ${parts.join(' ')}`.replace(/\s+/g, ' ').trim(), secrets);
    return new FactorgateError('DELIVERY_FAILED', { detail, cause: err });
  }

  async function send(msg: MailMessage, extraSecrets: string[], event?: string): Promise<SentMail> {
    let info: Awaited<ReturnType<MailTransport['sendMail']>>;
    try {
      info = await transport.sendMail({
        from: config.from,
        to: msg.to,
        subject: msg.subject,
        text: msg.text,
        html: msg.html,
        headers: {
          // RFC 3834 §5: machine-generated, so auto-responders (vacation replies) stay silent;
          // Exchange has its own header for the same purpose.
          'Auto-Submitted': 'auto-generated',
          'X-Auto-Response-Suppress': 'All',
        },
      });
    } catch (err) {
      const e = failure(err, 'send');
      const detail = scrub(e.detail ?? '', extraSecrets);
      log?.warn({ event, reason: detail }, 'mail not sent');
      throw new FactorgateError('DELIVERY_FAILED', { detail, cause: err });
    }
    if (info.rejected.length > 0) {
      const detail = `smtp send failed: recipient refused (${scrub(info.response, [...secrets, ...extraSecrets])})`;
      log?.warn({ event, reason: detail }, 'mail not sent');
      throw new FactorgateError('DELIVERY_FAILED', { detail });
    }
    log?.info({ event, messageId: info.messageId }, 'mail sent');
    return { messageId: info.messageId };
  }

  return {
    sendMail: (msg) => send(msg, []),
    sendTemplate(event, locale, vars, to) {
      const rendered = templates.render(event, locale, vars);
      const v = vars as { code?: string; pin?: string };
      const extra = [v.code, v.pin].filter((s): s is string => typeof s === 'string');
      return send({ to, ...rendered }, extra, event === 'enrolled' ? `enrolled-${(vars as { method: string }).method}` : event);
    },
    async verify() {
      try {
        await transport.verify();
      } catch (err) {
        throw failure(err, 'verify');
      }
    },
    close: () => transport.close(),
  };
}
