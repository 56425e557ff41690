/**
 * A throwaway RSA-2048 key and self-signed certificate per test file, made by the openssl CLI
 * in a temp folder (the peers that shell out need files anyway).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestKeys {
  dir: string;
  keyPath: string;
  certPath: string;
  keyPem: string;
  certPem: string;
  cleanup(): void;
}

export function makeTestKeys(commonName = 'test'): TestKeys {
  const dir = mkdtempSync(join(tmpdir(), 'factorgate-saml-'));
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${commonName}`, '-days', '2', '-keyout', keyPath, '-out', certPath],
    { stdio: 'pipe' },
  );
  return {
    dir,
    keyPath,
    certPath,
    keyPem: readFileSync(keyPath, 'utf8'),
    certPem: readFileSync(certPath, 'utf8'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
