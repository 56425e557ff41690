/**
 * A factorgate host running the SAML IdP adapter, relying parties played by real SP code
 * (@node-saml/node-saml builds and signs their AuthnRequests and checks our Responses), and a
 * browser that walks /login, TOTP enrolment and the challenge exactly as a user would.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { sign } from 'node:crypto';
import { SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import { expect } from 'vitest';
import { ManualClock } from '../../../src/kit/clock.js';
import { generateSelfSigned } from '../../../src/host/bootstrap/signing-keys.js';
import { decodeBase32, generateTotp } from '../../../src/otp/index.js';
import { samlIdpAdapter } from '../../../adapters/saml-idp/index.js';
import { makeTempDir, startHost, type RunningHost, type TestUser } from '../../support/host-harness.js';
import { TestBrowser } from '../../support/http-client.js';
import type { AdapterDefinition } from '../../../src/api/host-api.js';

export const IDP_PATH = '/saml/idp';

export interface SpKeys {
  keyPem: string;
  certPem: string;
  keyPath: string;
  certPath: string;
}

const keyCache = new Map<string, SpKeys>();
/** An RSA-2048 key and self-signed certificate (generated once per name per run). */
export function spKeys(name: string): SpKeys {
  let k = keyCache.get(name);
  if (!k) {
    const dir = makeTempDir(`fg-sp-${name}-`);
    const { certPem, keyPem } = generateSelfSigned(name, dir);
    const keyPath = join(dir, 'key.pem');
    const certPath = join(dir, 'cert.pem');
    writeFileSync(keyPath, keyPem);
    writeFileSync(certPath, certPem);
    k = { keyPem, certPem, keyPath, certPath };
    keyCache.set(name, k);
  }
  return k;
}

export interface IdpHost extends RunningHost {
  clock: ManualClock;
  base: string;
  entityId: string;
  idpCertPem: string;
  idpCertPath: string;
  /** TOTP secrets enrolled so far, by username. */
  secrets: Map<string, Buffer>;
  auditRows(): Promise<{ event: string; result: string; username: string | null; deny_reason: string | null; relying_party: string | null; detail: string | null }[]>;
}

/** Starts a host with `adapters.samlIdp` = `samlIdp`. The clock starts 90 s in the past so it can advance by TOTP steps. */
export async function startIdp(
  samlIdp: Record<string, unknown>,
  opts: { users?: TestUser[]; config?: Record<string, unknown>; adapters?: AdapterDefinition[]; adapterConfig?: Record<string, unknown>; port?: number; dir?: string } = {},
): Promise<IdpHost> {
  const clock = new ManualClock(Date.now() - 90_000);
  const h = await startHost({
    adapters: [samlIdpAdapter as never, ...(opts.adapters ?? [])],
    clock,
    ...(opts.users ? { users: opts.users } : {}),
    ...(opts.port !== undefined ? { port: opts.port } : {}),
    ...(opts.dir !== undefined ? { dir: opts.dir } : {}),
    config: { ...opts.config, adapters: { samlIdp, ...opts.adapterConfig } },
  });
  const base = `${h.url}${IDP_PATH}`;
  const idpCertPem = h.host.api.keys.current.certificatePem;
  const certDir = join(h.dir, 'idp-cert');
  mkdirSync(certDir, { recursive: true });
  const idpCertPath = join(certDir, 'idp.pem');
  writeFileSync(idpCertPath, idpCertPem);
  return {
    ...h,
    clock,
    base,
    entityId: `${base}/metadata`,
    idpCertPem,
    idpCertPath,
    secrets: new Map(),
    async auditRows() {
      return h.host.api.store.db.selectFrom('audit_events').selectAll().orderBy('ts').execute();
    },
  };
}

export interface SpIdentity {
  name: string;
  entityId: string;
  acs: string;
  slo: string;
  keys: SpKeys;
}

export interface TestSp extends SpIdentity {
  saml: SAML;
}

export function spIdentity(name: string): SpIdentity {
  return { name, entityId: `https://${name}.example.test/sp`, acs: `https://${name}.example.test/acs`, slo: `https://${name}.example.test/slo`, keys: spKeys(name) };
}

/** A node-saml SP; `signed` makes it sign its requests (RSA-SHA256). */
export function nodeSamlSp(idp: IdpHost, name: string, opts: { signed?: boolean; digest?: 'sha1' | 'sha256'; forceAuthn?: boolean; postBinding?: boolean; authnContext?: string[]; racComparison?: 'exact' | 'minimum' | 'better' | 'maximum' } = {}): TestSp {
  const { keys, entityId, acs, slo } = spIdentity(name);
  const saml = new SAML({
    entryPoint: `${idp.base}/sso`,
    logoutUrl: `${idp.base}/slo`,
    issuer: entityId,
    audience: entityId,
    callbackUrl: acs,
    logoutCallbackUrl: slo,
    idpIssuer: idp.entityId,
    idpCert: idp.idpCertPem,
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: true,
    validateInResponseTo: ValidateInResponseTo.always,
    acceptedClockSkewMs: 5 * 60_000,
    forceAuthn: opts.forceAuthn ?? false,
    ...(opts.postBinding ? { authnRequestBinding: 'HTTP-POST' } : {}),
    ...(opts.authnContext ? { authnContext: opts.authnContext, racComparison: opts.racComparison ?? 'exact' } : { disableRequestedAuthnContext: true }),
    identifierFormat: null,
    ...(opts.signed ? { privateKey: keys.keyPem, signatureAlgorithm: 'sha256' as const, digestAlgorithm: opts.digest ?? 'sha256' } : {}),
  });
  return { name, entityId, acs, slo, keys, saml };
}

/** The relying-party configuration for a test SP (inline: entityId + acs + cert). */
export function rpConfig(sp: SpIdentity, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: sp.name, entityId: sp.entityId, acs: [{ url: sp.acs }], slo: { url: sp.slo, binding: 'redirect' }, cert: sp.keys.certPem, ...extra };
}

/** The fields node-saml's HTTP-POST form would post, with the message uncompressed as Bindings §3.5.4 has it. */
export async function authnRequestPost(sp: TestSp, relayState = 'rs-post'): Promise<Record<string, string>> {
  sp.saml.options.skipRequestCompression = true;
  const html = await sp.saml.getAuthorizeFormAsync(relayState, undefined, {});
  return postedForm(html.replace(/<input type="hidden" name="(\w+)" value="([^"]*)" \/>/g, '<input type="hidden" name="$1" value="$2">')).fields;
}

/** Path + query of the SP's redirect-binding AuthnRequest URL. */
export async function authnRequestPath(sp: TestSp, relayState = 'rs-1'): Promise<string> {
  const url = new URL(await sp.saml.getAuthorizeUrlAsync(relayState, undefined, {}));
  return url.pathname + url.search;
}

export interface PostedForm {
  action: string;
  fields: Record<string, string>;
}

export function postedForm(html: string): PostedForm {
  const action = /<form[^>]*action="([^"]*)"/.exec(html)?.[1];
  if (!action) throw new Error(`no form in page: ${html.slice(0, 300)}`);
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields[m[1]!] = m[2]!.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  }
  return { action: action.replace(/&amp;/g, '&'), fields };
}

function field(html: string, name: string): string {
  const m = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  if (!m) throw new Error(`no field ${name} in page: ${html.slice(0, 400)}`);
  return m[1]!;
}

/**
 * Follows the browser from `startPath` through /login and the challenge (enrolling TOTP the
 * first time) to the page that posts the SAML response. Returns that form and the pages seen.
 */
export async function signIn(idp: IdpHost, b: TestBrowser, startPath: string, username = 'alice', password = `${username}-password-1`): Promise<{ form: PostedForm; visited: string[] }> {
  const visited: string[] = [];
  let res = await b.get(startPath);
  // Where the log stood before the last page was fetched (an only delivered method sends then).
  let logMark = idp.logs.length;
  for (let hop = 0; hop < 12; hop++) {
    if (res.status === 303 || res.status === 302) {
      const to = res.headers.get('location')!;
      visited.push(to);
      logMark = idp.logs.length;
      res = await b.get(to);
      continue;
    }
    const html = await res.text();
    if (res.status !== 200) throw new Error(`${res.status} at ${visited.at(-1) ?? startPath}: ${html.slice(0, 600)}`);
    const here = visited.at(-1) ?? startPath;
    // The page that posts the response: after the challenge POST it is that POST's own answer.
    if (/name="(SAMLResponse|wresult)"/.test(html)) return { form: postedForm(html), visited };
    if (here.startsWith('/login')) {
      res = await b.post('/login', { _csrf: field(html, '_csrf'), username, password, ...(here.includes('l=') ? { l: field(html, 'l') } : {}) });
      continue;
    }
    if (here.startsWith('/mfa/')) {
      const shown = /id="totp-secret"[^>]*>([A-Z2-7 ]+)</.exec(html)?.[1];
      if (shown) {
        const d = decodeBase32(shown.replace(/ /g, ''));
        if (!d.ok) throw new Error('bad secret on page');
        idp.secrets.set(username, d.bytes);
      } else {
        // A new TOTP step, so the code is not refused as a replay of the last one.
        idp.clock.advance(30_000);
      }
      const secret = idp.secrets.get(username);
      if (!secret && html.includes('name="send" value="1"')) {
        // The demo's sent-code methods (console transport): send one (unless the page did, the
        // user's only method sending at first sight), read it from the log.
        const before = html.includes('id="notice"') ? logMark : idp.logs.length;
        if (before === idp.logs.length) await b.post(here, { _csrf: field(html, '_csrf'), method: field(html, 'method'), send: '1' });
        const code = idp.logs.slice(before).map((l) => /"demoRevealedCode":"(\d+)"/.exec(l)?.[1]).find(Boolean);
        if (!code) throw new Error('no code revealed in the log');
        res = await b.post(here, { _csrf: field(html, '_csrf'), method: field(html, 'method'), code });
        continue;
      }
      if (!secret) throw new Error('challenge without a known secret');
      res = await b.post(here, { _csrf: field(html, '_csrf'), method: field(html, 'method'), code: generateTotp(secret, idp.clock.now()) });
      continue;
    }
    return { form: postedForm(html), visited };
  }
  throw new Error('too many hops');
}

export function decodeResponse(form: PostedForm): string {
  return Buffer.from(form.fields.SAMLResponse ?? '', 'base64').toString('utf8');
}

/** node-saml's verdict on a posted response (it checks the signature with the pinned cert). */
export async function spAccepts(sp: TestSp, form: PostedForm) {
  expect(form.action).toBe(sp.acs);
  return sp.saml.validatePostResponseAsync({ SAMLResponse: form.fields.SAMLResponse! });
}

/** A hand-made redirect-binding query (for attacks node-saml will not produce). */
export function redirectQuery(xml: string, opts: { relayState?: string; sign?: { keyPem: string; alg: 'sha1' | 'sha256'; uri: string }; raw?: Buffer } = {}): string {
  const encoded = (opts.raw ?? deflateRawSync(Buffer.from(xml, 'utf8'))).toString('base64');
  let q = `SAMLRequest=${encodeURIComponent(encoded)}`;
  if (opts.relayState !== undefined) q += `&RelayState=${encodeURIComponent(opts.relayState)}`;
  if (opts.sign) {
    q += `&SigAlg=${encodeURIComponent(opts.sign.uri)}`;
    q += `&Signature=${encodeURIComponent(sign(opts.sign.alg, Buffer.from(q), opts.sign.keyPem).toString('base64'))}`;
  }
  return q;
}

export function authnRequestXml(opts: { id?: string; issuer: string; acs?: string; destination?: string; instant?: number; extra?: string; forceAuthn?: boolean }): string {
  const id = opts.id ?? `_req${Math.random().toString(16).slice(2)}${Date.now()}`;
  return (
    `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${id}" Version="2.0" ` +
    `IssueInstant="${new Date(opts.instant ?? Date.now()).toISOString()}"` +
    (opts.destination ? ` Destination="${opts.destination}"` : '') +
    (opts.acs ? ` AssertionConsumerServiceURL="${opts.acs}"` : '') +
    (opts.forceAuthn ? ' ForceAuthn="true"' : '') +
    ` ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"><saml:Issuer>${opts.issuer}</saml:Issuer>${opts.extra ?? ''}</samlp:AuthnRequest>`
  );
}
