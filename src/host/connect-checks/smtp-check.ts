/**
 * `check-config --connect` for `delivery.smtp`: the greeting, STARTTLS as configured (RFC 3207)
 * and the login (RFC 4954), without sending a mail: the mailer's own `verify`, so the check
 * runs exactly what a send would.
 */
import { accessSync, constants, mkdirSync } from 'node:fs';
import type { ConnectCheck } from '../../api/host-api.js';
import type { SmtpConfig } from '../../delivery/config.js';
import { createMailer } from '../../delivery/mailer.js';
import { ConnectProblem } from './connect-problem.js';

type KeyOf = (path: string) => string;

const CERTIFICATE_ERRORS = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/;

function causeCode(err: unknown): string | undefined {
  const cause = (err as { cause?: { code?: unknown } } | null)?.cause;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}

function certificateCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e !== null && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && CERTIFICATE_ERRORS.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Kind file: the .eml folder exists (it is created) and is writable; no server is involved. */
function emlFolderCheck(c: SmtpConfig): ConnectCheck {
  return {
    key: 'delivery.smtp.dir',
    what: `mail folder ${c.dir}`,
    async run() {
      try {
        // As the first written mail would: private folder created if absent.
        mkdirSync(c.dir!, { recursive: true, mode: 0o700 });
        accessSync(c.dir!, constants.W_OK);
      } catch (err) {
        throw new ConnectProblem('delivery.smtp.dir', `${c.dir}: cannot be created or written (${(err as NodeJS.ErrnoException).code ?? 'error'}): check delivery.smtp.dir`);
      }
      return 'writable (kind file: mails are written there, not sent)';
    },
  };
}

export function smtpCheck(c: SmtpConfig, key: KeyOf): ConnectCheck {
  if (c.kind === 'file') return emlFolderCheck(c);
  const where = `${c.host}:${c.port}`;
  return {
    key: 'delivery.smtp.host',
    what: `SMTP ${where}`,
    async run() {
      const mailer = createMailer(c);
      try {
        await mailer.verify();
      } catch (err) {
        // The mailer's detail names the SMTP stage and reply, never the password.
        const detail = (err as { detail?: string }).detail ?? (err instanceof Error ? err.message : String(err));
        const cert = certificateCode(err);
        if (cert !== undefined) throw new ConnectProblem(key('delivery.smtp.ca'), `${where}: the server's certificate is refused (${cert}): check ${key('delivery.smtp.ca')} (the CA that signed it)`);
        switch (causeCode(err)) {
          case 'EAUTH':
            throw new ConnectProblem(key('delivery.smtp.password'), `${where} refused the login (${detail}): check delivery.smtp.user and ${key('delivery.smtp.password')}`);
          case 'ENOAUTH':
            throw new ConnectProblem('delivery.smtp.user', `${where}: ${detail}: check delivery.smtp.user and ${key('delivery.smtp.password')}`);
          case 'ETLS':
            throw new ConnectProblem('delivery.smtp.startTls', `${where}: TLS could not be set up (${detail}): check delivery.smtp.startTls and delivery.smtp.secure (465 is implicit TLS, 587 STARTTLS)`);
          default:
            throw new ConnectProblem('delivery.smtp.host', `${where}: ${detail}: check delivery.smtp.host, delivery.smtp.port and the firewall`);
        }
      } finally {
        mailer.close();
      }
      const tls = c.secure ? 'TLS' : c.startTls === 'never' ? 'no TLS' : `STARTTLS ${c.startTls}`;
      return `greeting, ${tls}${c.user !== undefined ? `, login as ${c.user}` : ''} ok`;
    },
  };
}
