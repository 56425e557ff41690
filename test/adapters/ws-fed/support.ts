/**
 * A factorgate host running the WS-Federation adapter, the independent checks of what it sends
 * (xmlsec1 with the published certificate, the python/lxml reader with the published schemas),
 * and the browser walk through /login and the challenge shared with the SAML IdP tests.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ManualClock } from '../../../src/kit/clock.js';
import { wsFedAdapter } from '../../../adapters/ws-fed/index.js';
import { DEFAULT_USERS, startHost, type TestUser } from '../../support/host-harness.js';
import type { AdapterDefinition } from '../../../src/api/host-api.js';
import type { IdpHost } from '../saml-idp/support.js';

export { postedForm, signIn, type PostedForm } from '../saml-idp/support.js';

const run = promisify(execFile);
const READER = fileURLToPath(new URL('./wsfed-reader.py', import.meta.url));

/** A GUID as the directory reports objectGUID, and the ImmutableID Entra ID expects for it. */
export const ALICE_GUID = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
export const ALICE_IMMUTABLE_ID = Buffer.from('3c2d1e0f5a4b78698796a5b4c3d2e1f0', 'hex').toString('base64');

/** The default users, alice with a UPN and an objectGUID-style id (the file directory's `id`). */
export const WSFED_USERS: TestUser[] = DEFAULT_USERS.map((u) => (u.username === 'alice' ? ({ ...u, upn: 'alice@corp.example', id: ALICE_GUID } as TestUser) : u));

export interface WsFedHost extends IdpHost {
  /** The published certificate, written to a file for xmlsec1. */
  certPath: string;
}

export async function startWsFed(wsFed: Record<string, unknown>, opts: { adapters?: AdapterDefinition[]; adapterConfig?: Record<string, unknown>; config?: Record<string, unknown> } = {}): Promise<WsFedHost> {
  const clock = new ManualClock(Date.now() - 90_000);
  const h = await startHost({
    adapters: [wsFedAdapter as never, ...(opts.adapters ?? [])],
    clock,
    users: WSFED_USERS,
    config: { ...opts.config, adapters: { wsFed, ...opts.adapterConfig } },
  });
  const certDir = join(h.dir, 'idp-cert');
  mkdirSync(certDir, { recursive: true });
  const certPath = join(certDir, 'idp.pem');
  const idpCertPem = h.host.api.keys.current.certificatePem;
  writeFileSync(certPath, idpCertPem);
  return {
    ...h,
    clock,
    base: `${h.url}/wsfed`,
    entityId: `${h.url}/wsfed`,
    idpCertPem,
    idpCertPath: certPath,
    certPath,
    secrets: new Map(),
    async auditRows() {
      return h.host.api.store.db.selectFrom('audit_events').selectAll().orderBy('ts').execute();
    },
  };
}

let files = 0;
function writeTemp(h: WsFedHost, xml: string): string {
  const path = join(h.dir, `wsfed-${++files}.xml`);
  writeFileSync(path, xml);
  return path;
}

/** `xmlsec1 --verify` of the one Signature at `node` with the published certificate pinned. */
export async function xmlsecVerifies(h: WsFedHost, xml: string, kind: 'assertion' | 'metadata'): Promise<boolean> {
  const args =
    kind === 'assertion'
      ? ['--id-attr:AssertionID', 'urn:oasis:names:tc:SAML:1.0:assertion:Assertion', '--node-xpath', "//*[local-name()='Assertion']/*[local-name()='Signature']"]
      : ['--id-attr:ID', 'urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor', '--node-xpath', "/*[local-name()='EntityDescriptor']/*[local-name()='Signature']"];
  try {
    await run('/usr/bin/xmlsec1', ['--verify', '--pubkey-cert-pem', h.certPath, ...args, writeTemp(h, xml)]);
    return true;
  } catch {
    return false;
  }
}

export interface SchemaVerdict {
  valid: boolean;
  errors: string[];
}

export interface ReadResponse {
  problems: string[];
  schemas: Record<'assertion' | 'created' | 'expires' | 'appliesTo', SchemaVerdict>;
  lifetime: { created: string; expires: string };
  appliesTo: string;
  tokenType: string;
  requestType: string;
  keyType: string;
  assertion: {
    id: string;
    issuer: string;
    majorVersion: string;
    minorVersion: string;
    notBefore: string;
    notOnOrAfter: string;
    audiences: string[];
    nameIdentifier: string;
    nameIdentifierFormat: string;
    confirmationMethod: string;
    authenticationMethod: string;
    authenticationInstant: string;
    attributes: Array<{ name: string; namespace: string; values: string[] }>;
  };
}

export interface ReadMetadata {
  schemas: { wsFederation: SchemaVerdict };
  entityId: string;
  roleType: string;
  passiveEndpoints: string[];
  certificates: string[];
  tokenTypes: string[];
  signedFirst: boolean;
}

/** The python/lxml reader's view of a wresult or of the metadata. */
export async function pythonReads(h: WsFedHost, kind: 'response', xml: string): Promise<ReadResponse>;
export async function pythonReads(h: WsFedHost, kind: 'metadata', xml: string): Promise<ReadMetadata>;
export async function pythonReads(h: WsFedHost, kind: 'response' | 'metadata', xml: string): Promise<ReadResponse | ReadMetadata> {
  const { stdout } = await run('/usr/bin/python3', [READER, kind, writeTemp(h, xml)]);
  return JSON.parse(stdout) as ReadResponse | ReadMetadata;
}

/** The value of one claim, by namespace and name. */
export function claim(read: ReadResponse, namespace: string, name: string): string[] | undefined {
  return read.assertion.attributes.find((a) => a.namespace === namespace && a.name === name)?.values;
}

export function signInPath(params: Record<string, string>): string {
  return `/wsfed?${new URLSearchParams({ wa: 'wsignin1.0', ...params }).toString()}`;
}
