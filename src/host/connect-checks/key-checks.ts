/**
 * `check-config --connect` for the key material the file points at: each PEM parses, and each
 * private key matches its certificate, so a wrong or swapped file is found before start.
 */
import { X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import type { ConnectCheck } from '../../api/host-api.js';
import type { HostConfig } from '../../config/schema.js';
import { toSigningKey } from '../bootstrap/signing-keys.js';
import { ConnectProblem } from './connect-problem.js';

type KeyOf = (path: string) => string;

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function reason(err: unknown): string {
  const detail = (err as { detail?: unknown } | null)?.detail;
  const text = typeof detail === 'string' ? detail : err instanceof Error ? err.message : String(err);
  return text.split('\n')[0]!.replace(/^signing\.keys: /, '');
}

/** Every certificate in a PEM bundle; throws naming the key when there is none or one does not parse. */
export function parseCertificates(pem: string, keyName: string): X509Certificate[] {
  const blocks = pem.match(PEM_CERT) ?? [];
  if (blocks.length === 0) throw new ConnectProblem(keyName, `no PEM certificate (-----BEGIN CERTIFICATE-----) found: check ${keyName}`);
  return blocks.map((b) => {
    try {
      return new X509Certificate(b);
    } catch (err) {
      throw new ConnectProblem(keyName, `a certificate does not parse (${reason(err)}): check ${keyName}`);
    }
  });
}

function certificateCheck(path: string, pem: string, key: KeyOf, what: string): ConnectCheck {
  return {
    key: key(path),
    what,
    run: async () => {
      const certs = parseCertificates(pem, key(path));
      return `${certs.length} certificate${certs.length === 1 ? '' : 's'}, ${certs.map((c) => `valid to ${new Date(c.validTo).toISOString().slice(0, 10)}`).join(', ')}`;
    },
  };
}

export function keyChecks(host: HostConfig, key: KeyOf): ConnectCheck[] {
  const checks: ConnectCheck[] = [];
  host.signing?.keys.forEach((pair, i) => {
    const base = `signing.keys[${i}]`;
    checks.push({
      key: key(`${base}.cert`),
      what: 'SAML signing key',
      run: async () => {
        parseCertificates(pair.cert, key(`${base}.cert`));
        try {
          toSigningKey(pair.cert, pair.key);
        } catch (err) {
          throw new ConnectProblem(key(`${base}.key`), `${reason(err)}: check ${key(`${base}.key`)} and ${key(`${base}.cert`)}`);
        }
        return pair.key === undefined ? 'certificate only (published for rollover)' : 'key matches its certificate';
      },
    });
  });
  const serverTls = host.server.tls;
  if (serverTls) {
    checks.push({
      key: key('server.tls.cert'),
      what: 'HTTPS certificate and key',
      run: async () => {
        parseCertificates(serverTls.cert, key('server.tls.cert'));
        try {
          tls.createSecureContext({ cert: serverTls.cert, key: serverTls.key });
        } catch (err) {
          throw new ConnectProblem(key('server.tls.key'), `${reason(err)}: check ${key('server.tls.key')} and ${key('server.tls.cert')}`);
        }
        return 'key matches its certificate';
      },
    });
  }
  if (host.directory.type === 'ldap' && host.directory.tls.ca !== undefined) {
    checks.push(certificateCheck('directory.tls.ca', host.directory.tls.ca, key, 'directory CA'));
  }
  if (host.delivery?.smtp?.ca !== undefined) checks.push(certificateCheck('delivery.smtp.ca', host.delivery.smtp.ca, key, 'SMTP CA'));
  return checks;
}
