/**
 * `check-config --connect` for an LDAP directory: for each server in `directory.urls`, the
 * connection (TLS or StartTLS as configured), the service bind, and a base-scope search of
 * each base DN. Each failure names the key to fix: a wrong password must not look like
 * "no directory server answered" (RFC 4511 §4.1.9 result codes say which it is).
 */
import { ResultCodeError } from 'ldapts';
import type { ConnectCheck } from '../../api/host-api.js';
import type { LdapDirectoryConfig } from '../../directory/ldap/config.js';
import { closeQuietly, openConnection } from '../../directory/ldap/connection.js';
import { ConnectProblem } from './connect-problem.js';

type KeyOf = (path: string) => string;

/** Node's TLS verification codes: the certificate chain or name did not check out. */
const CERTIFICATE_ERRORS = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS_CERT_ALTNAME_INVALID/;
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT']);

/** RFC 4511 Appendix A names of the result codes a bind or search here may return. */
const RESULT_NAMES: Record<number, string> = {
  2: 'protocol error',
  13: 'confidentiality required',
  32: 'no such object',
  34: 'invalid DN syntax',
  49: 'invalid credentials',
  50: 'insufficient access rights',
  51: 'busy',
  52: 'unavailable',
  53: 'unwilling to perform',
};

/** `LDAP result 49 (invalid credentials; 80090308: … data 52e …)`: the name, and the server's own diagnostic when it gave one (AD's `data 52e`). */
function describeResult(err: ResultCodeError): string {
  const diagnostic = err.message.replace(/\s*Code: 0x[0-9a-f]+\s*$/i, '').trim();
  const name = RESULT_NAMES[err.code] ?? 'error';
  return `LDAP result ${err.code} (${diagnostic !== '' && diagnostic.toLowerCase() !== name ? `${name}; ${diagnostic}` : name})`;
}

function errnoCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Advice for a failure before or during the bind. */
function connectAdvice(err: unknown, url: string, i: number, c: LdapDirectoryConfig, key: KeyOf): { key: string; message: string } {
  if (err instanceof ResultCodeError) {
    const answered = `${url} answered ${describeResult(err)}`;
    if (err.code === 49) {
      const pw = key('directory.bindPassword');
      return { key: pw, message: `${answered}: LDAP result 49 means the bind password or DN is wrong; check ${pw} and directory.bindDn` };
    }
    if (err.code === 53 || err.code === 13) {
      return { key: 'directory.bindDn', message: `${answered}: the server refuses this bind (it may need TLS or forbid the account); check directory.tls and directory.bindDn` };
    }
    if (err.code === 2 || err.code === 52) {
      return { key: 'directory.tls.startTls', message: `${answered}: StartTLS or the service is not available there; check directory.tls.startTls and directory.urls[${i}]` };
    }
    return { key: 'directory.bindDn', message: `${answered}; check directory.bindDn and ${key('directory.bindPassword')}` };
  }
  const code = errnoCode(err);
  const detail = err instanceof Error ? err.message : String(err);
  if (code !== undefined && CERTIFICATE_ERRORS.test(code)) {
    const what = code === 'ERR_TLS_CERT_ALTNAME_INVALID' ? 'directory.tls.servername (the name in the certificate)' : `${key('directory.tls.ca')} (the CA that signed the server's certificate)`;
    return { key: code === 'ERR_TLS_CERT_ALTNAME_INVALID' ? 'directory.tls.servername' : key('directory.tls.ca'), message: `${url}: the server's certificate is refused (${code}): check ${what}` };
  }
  if ((code !== undefined && UNREACHABLE.has(code)) || /timeout|timed out/i.test(detail)) {
    return { key: `directory.urls[${i}]`, message: `no LDAP server answered at ${url} (${code ?? detail}): check the host name, the port and the firewall` };
  }
  const tlsHint = c.tls.startTls || /^ldaps:/i.test(url) ? '; check directory.tls' : '';
  return { key: `directory.urls[${i}]`, message: `${url}: ${code ? `${code}: ` : ''}${detail}${tlsHint}` };
}

export function ldapChecks(c: LdapDirectoryConfig, key: KeyOf): ConnectCheck[] {
  const settings = { tls: c.tls, timeouts: c.timeouts };
  const credentials = c.bindDn !== undefined ? { dn: c.bindDn, password: c.bindPassword ?? '' } : undefined;
  return c.urls.map((url, i) => ({
    key: `directory.urls[${i}]`,
    what: `LDAP ${url}`,
    async run() {
      let client;
      try {
        client = await openConnection(url, settings, credentials);
      } catch (err) {
        const advice = connectAdvice(err, url, i, c, key);
        throw new ConnectProblem(advice.key, advice.message);
      }
      try {
        for (const [b, base] of c.baseDns.entries()) {
          try {
            await client.search(base, { scope: 'base', filter: '(objectClass=*)', attributes: ['1.1'] });
          } catch (err) {
            const why = err instanceof ResultCodeError ? describeResult(err) : err instanceof Error ? err.message : String(err);
            const hint =
              err instanceof ResultCodeError && err.code === 32
                ? `no entry "${base}" there: check the DN (in YAML, quote a DN inside [ ]: a bare one is split at its commas)`
                : `searching "${base}" failed: check the DN and that ${credentials ? 'the service account' : 'an anonymous search'} may read it`;
            throw new ConnectProblem(`directory.baseDns[${b}]`, `${url} answered ${why}: ${hint}`);
          }
        }
      } finally {
        await closeQuietly(client);
      }
      return `${credentials ? `bound as ${credentials.dn}` : 'anonymous'}, ${c.baseDns.length} base DN${c.baseDns.length === 1 ? '' : 's'} found`;
    },
  }));
}
