/** A real SMTP server (the smtp-server package) on a free loopback port, recording every mail. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';

export interface ReceivedMail {
  raw: string;
  secure: boolean;
  user: unknown;
  mailFrom: string;
  rcptTo: string[];
}

export interface AuthAttempt {
  method: string;
  username: string | undefined;
  password: string | null | undefined;
  secure: boolean;
}

export interface TestSmtpServer {
  port: number;
  mails: ReceivedMail[];
  auths: AuthAttempt[];
  /** Whether any client connection was upgraded to TLS. */
  sessions: SMTPServerSession[];
  close(): Promise<void>;
}

export interface TestSmtpOptions {
  tls?: { key: string; cert: string } | undefined;
  /** Implicit TLS (port-465 style). */
  secure?: boolean;
  /** Do not offer STARTTLS at all. */
  noStartTls?: boolean;
  /** Credentials the server accepts; none means authentication is optional. */
  credentials?: { user: string; password: string } | undefined;
  allowInsecureAuth?: boolean;
  refuseRecipient?: string | undefined;
}

export async function startSmtpServer(opts: TestSmtpOptions = {}): Promise<TestSmtpServer> {
  const mails: ReceivedMail[] = [];
  const auths: AuthAttempt[] = [];
  const sessions: SMTPServerSession[] = [];
  const options: SMTPServerOptions = {
    secure: opts.secure ?? false,
    ...(opts.tls ? { key: opts.tls.key, cert: opts.tls.cert } : {}),
    disabledCommands: opts.noStartTls ? ['STARTTLS'] : [],
    authMethods: ['PLAIN', 'LOGIN'],
    authOptional: !opts.credentials,
    allowInsecureAuth: opts.allowInsecureAuth ?? false,
    logger: false,
    onConnect(session, cb) {
      sessions.push(session);
      cb();
    },
    onAuth(auth, session, cb) {
      auths.push({ method: auth.method, username: auth.username, password: auth.password, secure: session.secure });
      if (opts.credentials && auth.username === opts.credentials.user && auth.password === opts.credentials.password) {
        cb(null, { user: auth.username });
      } else {
        cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
      }
    },
    onRcptTo(address, _session, cb) {
      if (opts.refuseRecipient && address.address === opts.refuseRecipient) {
        cb(Object.assign(new Error('No such user here'), { responseCode: 550 }));
      } else cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({
          raw: Buffer.concat(chunks).toString('utf8'),
          secure: session.secure,
          user: session.user,
          mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          rcptTo: session.envelope.rcptTo.map((r) => r.address),
        });
        cb();
      });
    },
  };
  const server = new SMTPServer(options);
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.server.address() as AddressInfo;
  return {
    port,
    mails,
    auths,
    sessions,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A throwaway self-signed certificate for 127.0.0.1 and localhost (openssl). */
export function makeSelfSignedCert(): { key: string; cert: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'fg-smtp-tls-'));
  execFileSync(
    'openssl',
    [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { stdio: 'pipe' },
  );
  const key = readFileSync(join(dir, 'key.pem'), 'utf8');
  const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
  return { key, cert, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
