/**
 * A real pysaml2 IdP (test/support/pysaml2-idp.py) as the bridge's upstream, on a free
 * loopback port chosen by the OS. `authorize(url)` plays the browser: it follows our
 * HTTP-Redirect AuthnRequest to the IdP and returns what the auto-post form would post to the
 * ACS URL.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./pysaml2-idp.py', import.meta.url));
// Debian's interpreter is the one that can import saml2 (RECIPES.md: Python SAML peers).
const PYTHON = '/usr/bin/python3';

export interface Pysaml2User {
  nameId: { value: string; format: string };
  /** Attribute name → values, sent with NameFormat basic under these names. */
  attributes: Record<string, string[]>;
}

export interface Pysaml2IdpOptions {
  keyPath: string;
  certPath: string;
  user: Pysaml2User;
  spEntityId: string;
  spAcs: string;
  /** The SP's signing certificate: when set, the IdP requires signed AuthnRequests. */
  spCertPath?: string;
  /** AuthnContextClassRef of the AuthnStatement (default PasswordProtectedTransport). */
  authnContext?: string;
  /** What the IdP signs; default both. */
  sign?: ReadonlyArray<'response' | 'assertion'>;
  entityId?: string;
}

export interface PostedResponse {
  /** The form's action: where the browser would post. */
  action: string;
  /** base64, as posted. */
  samlResponse: string;
  relayState: string | null;
}

export interface Pysaml2Idp {
  entityId: string;
  ssoUrl: string;
  /** Its metadata, unsigned, over plain http (the bridge refuses that as a metadataUrl). */
  metadataUrl: string;
  /** The same metadata signed by the IdP's key: usable over plain http with metadataSignerCert = certPem. */
  signedMetadataUrl: string;
  certPem: string;
  /** GETs our AuthnRequest URL at the IdP and reads the auto-post form it answers with. */
  authorize(authnRequestUrl: string): Promise<PostedResponse>;
  stop(): Promise<void>;
}

function unescapeAttribute(value: string): string {
  return value
    .replace(/&#(\d+);/g, (_m, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&#x([0-9a-f]+);/gi, (_m, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function formField(html: string, name: string): string | null {
  const m = new RegExp(`<input[^>]*name="${name}"[^>]*value="([^"]*)"`).exec(html);
  return m === null ? null : unescapeAttribute(m[1] as string);
}

export async function startPysaml2Idp(options: Pysaml2IdpOptions): Promise<Pysaml2Idp> {
  const dir = mkdtempSync(join(tmpdir(), 'factorgate-pysaml2-idp-'));
  const userPath = join(dir, 'user.json');
  writeFileSync(userPath, JSON.stringify(options.user));
  const args = [
    SCRIPT,
    '--key',
    options.keyPath,
    '--cert',
    options.certPath,
    '--user',
    userPath,
    '--sp-entity-id',
    options.spEntityId,
    '--sp-acs',
    options.spAcs,
    '--sign',
    (options.sign ?? ['response', 'assertion']).join(','),
    ...(options.spCertPath === undefined ? [] : ['--sp-cert', options.spCertPath]),
    ...(options.authnContext === undefined ? [] : ['--authn-context', options.authnContext]),
    ...(options.entityId === undefined ? [] : ['--entity-id', options.entityId]),
  ];
  const child: ChildProcessWithoutNullStreams = spawn(PYTHON, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });

  const ready = await new Promise<{ port: number; entityId: string; ssoUrl: string }>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    const timer = setTimeout(() => reject(new Error(`pysaml2 IdP did not start in 15 s: ${stderr}`)), 15_000);
    lines.once('line', (line) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(line) as { port: number; entityId: string; ssoUrl: string });
      } catch {
        reject(new Error(`pysaml2 IdP said ${line}: ${stderr}`));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`pysaml2 IdP exited with ${String(code)}: ${stderr}`));
    });
  }).catch((err: unknown) => {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });

  return {
    entityId: ready.entityId,
    ssoUrl: ready.ssoUrl,
    metadataUrl: `http://127.0.0.1:${ready.port}/metadata`,
    signedMetadataUrl: `http://127.0.0.1:${ready.port}/metadata-signed`,
    certPem: readFileSync(options.certPath, 'utf8'),
    async authorize(authnRequestUrl) {
      const res = await fetch(authnRequestUrl, { redirect: 'manual' });
      const html = await res.text();
      if (res.status !== 200) throw new Error(`pysaml2 IdP answered ${res.status}: ${html}`);
      const action = /<form[^>]*action="([^"]*)"/.exec(html)?.[1];
      const samlResponse = formField(html, 'SAMLResponse');
      if (action === undefined || samlResponse === null) throw new Error(`no auto-post form in: ${html.slice(0, 500)}`);
      return { action: unescapeAttribute(action), samlResponse, relayState: formField(html, 'RelayState') };
    },
    stop() {
      return new Promise<void>((resolve) => {
        const done = (): void => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        };
        if (child.exitCode !== null || child.signalCode !== null) return done();
        // SIGTERM ends serve_forever; a process caught mid-request on a loaded machine gets
        // SIGKILL after 5 s rather than holding the suite's afterAll past its timeout.
        const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
        child.once('exit', () => {
          clearTimeout(force);
          done();
        });
        child.kill('SIGTERM');
      });
    },
  };
}
