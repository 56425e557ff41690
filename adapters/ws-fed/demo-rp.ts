/**
 * The built-in demo WS-Federation relying party of `npm start` (`demoRelyingParty: true`), under
 * `/wsfed/demo-rp/`. It behaves like a real passive relying party and shares no code with the
 * issuing side: it sends `wsignin1.0` with a wctx of its own, checks the echoed wctx, verifies
 * the SAML 1.1 assertion's signature with xml-crypto against the certificates we publish (never
 * KeyInfo), checks issuer, audience and validity, and shows the claims it received.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import express, { type Request, type Router } from 'express';
import { SignedXml } from 'xml-crypto';
import type { HostApi, XmlElement } from '../../src/sdk/adapter.js';
import { NS_DS, NS_SAML11, attr, childElements, children, parseXmlSafely, pinnedPublicKeys, readCookie, simpleText } from '../../src/sdk/adapter.js';
import type { RealmConfig } from './config.js';
import { escapeHtml as esc } from '../../src/sdk/adapter.js';

export const DEMO_RP_PATH = '/demo-rp';
const CONTEXT_COOKIE = 'fg_wsfed_demo_ctx';

export function demoRealmConfig(base: string): RealmConfig {
  return {
    name: 'demo-wsfed-rp',
    preset: 'custom',
    realm: `${base}${DEMO_RP_PATH}/`,
    replyUrls: [`${base}${DEMO_RP_PATH}/signin`, `${base}${DEMO_RP_PATH}/`],
    nameIdentifier: { source: 'username' },
    immutableIdSource: 'objectGuid',
    mfaAuthenticationMethod: 'http://schemas.microsoft.com/claims/multipleauthn',
    sendAuthnMethodsReferences: true,
    tokenLifetime: '1h',
  };
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><meta name="viewport" content="width=device-width, initial-scale=1"></head><body><main><h1>${esc(title)}</h1>${body}</main></body></html>`;
}

export interface ReceivedToken {
  issuer: string;
  audience: string;
  nameIdentifier: string;
  nameIdentifierFormat: string;
  authenticationMethod: string;
  attributes: Array<{ name: string; namespace: string; values: string[] }>;
}

function only(parent: XmlElement, ns: string, name: string): XmlElement {
  const found = children(parent, ns, name);
  if (found.length !== 1) throw new Error(`expected one ${name}, found ${found.length}`);
  return found[0]!;
}

/** Reads and checks a `wresult` the way a relying party must; throws with the reason. */
export function readToken(wresult: string, deps: { certificates: readonly string[]; issuer: string; audience: string; now: number }): ReceivedToken {
  const parsed = parseXmlSafely(wresult);
  if (!parsed.ok) throw new Error(parsed.message);
  const rstr = parsed.document.documentElement!;
  if (rstr.localName !== 'RequestSecurityTokenResponse') throw new Error('the wresult is not a RequestSecurityTokenResponse');
  const token = only(rstr, rstr.namespaceURI!, 'RequestedSecurityToken');
  const assertion = only(token, NS_SAML11, 'Assertion');
  const signature = only(assertion, NS_DS, 'Signature');
  const id = attr(assertion, 'AssertionID') ?? '';
  let signedXml: string | undefined;
  for (const key of pinnedPublicKeys(deps.certificates, 'factorgate')) {
    const verifier = new SignedXml({ publicCert: key, getCertFromKeyInfo: () => null, idAttribute: 'AssertionID' });
    verifier.loadSignature(signature as unknown as Parameters<SignedXml['loadSignature']>[0]);
    try {
      if (!verifier.checkSignature(wresult)) throw new Error('the digest does not match');
    } catch {
      continue;
    }
    const refs = verifier.getSignedReferences();
    if (refs.length === 1 && refs[0]!.includes(`AssertionID="${id}"`)) signedXml = refs[0];
    break;
  }
  if (signedXml === undefined) throw new Error('the assertion signature does not verify with the published certificates');
  // Read only what was signed (xml-crypto hands back the exact canonical bytes it digested).
  const signed = parseXmlSafely(signedXml);
  if (!signed.ok) throw new Error('the signed assertion cannot be read');
  const a = signed.document.documentElement!;
  if (a.namespaceURI !== NS_SAML11 || a.localName !== 'Assertion' || attr(a, 'AssertionID') !== id) throw new Error('the signature covers another element');
  if (attr(a, 'Issuer') !== deps.issuer) throw new Error(`unexpected issuer ${attr(a, 'Issuer')}`);
  const conditions = only(a, NS_SAML11, 'Conditions');
  const notBefore = Date.parse(attr(conditions, 'NotBefore') ?? '');
  const notOnOrAfter = Date.parse(attr(conditions, 'NotOnOrAfter') ?? '');
  if (!(deps.now >= notBefore - 60_000 && deps.now < notOnOrAfter)) throw new Error('the assertion is not valid now');
  const audience = simpleText(only(only(conditions, NS_SAML11, 'AudienceRestrictionCondition'), NS_SAML11, 'Audience')) ?? '';
  if (audience !== deps.audience) throw new Error(`the assertion is for ${audience}`);
  const authn = only(a, NS_SAML11, 'AuthenticationStatement');
  const nameId = only(only(authn, NS_SAML11, 'Subject'), NS_SAML11, 'NameIdentifier');
  const attributes = children(a, NS_SAML11, 'AttributeStatement').flatMap((s) =>
    children(s, NS_SAML11, 'Attribute').map((at) => ({
      name: attr(at, 'AttributeName') ?? '',
      namespace: attr(at, 'AttributeNamespace') ?? '',
      values: childElements(at).map((v) => v.textContent ?? ''),
    })),
  );
  return {
    issuer: deps.issuer,
    audience,
    nameIdentifier: nameId.textContent ?? '',
    nameIdentifierFormat: attr(nameId, 'Format') ?? '',
    authenticationMethod: attr(authn, 'AuthenticationMethod') ?? '',
    attributes,
  };
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function mountDemoRp(router: Router, deps: { host: Pick<HostApi, 'keys' | 'logger' | 'clock'>; base: string; issuer: string; secure: boolean }): void {
  const realm = demoRealmConfig(deps.base);
  const rpBase = `${deps.base}${DEMO_RP_PATH}`;
  const form = express.urlencoded({ extended: false, limit: 512 * 1024, parameterLimit: 8 });
  const cookie = (value: string, maxAge: number) => `${CONTEXT_COOKIE}=${value}; Path=${new URL(rpBase).pathname}/; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${deps.secure ? '; Secure' : ''}`;

  router.get(`${DEMO_RP_PATH}/`, (_req, res) => {
    res.type('html').send(page('Demo WS-Federation relying party', '<p>A WS-Federation passive relying party that trusts this factorgate.</p><p><a href="login">Sign in with factorgate</a></p>'));
  });

  router.get(`${DEMO_RP_PATH}/login`, (_req, res) => {
    // The context we expect back: a nonce and where to land, with characters that must survive the round trip.
    const wctx = `rm=0&id=${randomBytes(12).toString('base64url')}&ru=/demo?a="1"&b=<2>`;
    res.setHeader('Set-Cookie', cookie(encodeURIComponent(wctx), 600));
    const q = new URLSearchParams({ wa: 'wsignin1.0', wtrealm: realm.realm!, wctx, wreply: realm.replyUrls![0]! });
    res.redirect(303, `${deps.base}?${q.toString()}`);
  });

  const signedIn = (req: Request) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const field = (name: string) => (typeof body[name] === 'string' ? body[name] : '');
    if (field('wa') !== 'wsignin1.0') throw new Error('the form is not a wsignin1.0 response');
    const expected = readCookie(req, CONTEXT_COOKIE);
    if (expected === undefined || !sameText(decodeURIComponent(expected), field('wctx'))) throw new Error('the wctx is not the one this relying party sent');
    const token = readToken(field('wresult'), { certificates: deps.host.keys.published.map((k) => k.certificatePem), issuer: deps.issuer, audience: realm.realm!, now: deps.host.clock.now() });
    return { token, wctx: field('wctx') };
  };

  router.post(`${DEMO_RP_PATH}/signin`, form, (req, res) => {
    try {
      const { token, wctx } = signedIn(req);
      res.setHeader('Set-Cookie', cookie('', 0));
      const rows = token.attributes.map((a) => `<tr><th scope="row">${esc(`${a.namespace}/${a.name}`)}</th><td>${a.values.map(esc).join('<br>')}</td></tr>`).join('');
      res.type('html').send(
        page(
          'Signed in to the demo WS-Federation relying party',
          `<dl><dt>Subject (NameIdentifier)</dt><dd id="name-id">${esc(token.nameIdentifier)}</dd><dt>Format</dt><dd>${esc(token.nameIdentifierFormat)}</dd>` +
            `<dt>AuthenticationMethod</dt><dd id="authn-method">${esc(token.authenticationMethod)}</dd><dt>wctx echoed</dt><dd id="wctx">${esc(wctx)}</dd></dl>` +
            `<table><caption>Claims</caption>${rows}</table><p><a id="sign-out" href="logout">Sign out</a></p>`,
        ),
      );
    } catch (err) {
      deps.host.logger.warn({ err: (err as Error).message }, 'demo WS-Federation relying party refused the response');
      res.status(400).type('html').send(page('The demo relying party refused the response', `<p>${esc((err as Error).message)}</p>`));
    }
  });

  // wsignoutcleanup1.0 from the identity provider's sign-out: forget our own sign-in.
  router.get(`${DEMO_RP_PATH}/signin`, (req, res) => {
    if (req.query.wa !== 'wsignoutcleanup1.0') {
      res.redirect(303, `${rpBase}/`);
      return;
    }
    res.setHeader('Set-Cookie', cookie('', 0));
    res.removeHeader('X-Frame-Options');
    res.setHeader('Content-Security-Policy', "default-src 'none'; frame-ancestors 'self'");
    res.type('html').send(page('Signed out of the demo relying party', ''));
  });

  router.get(`${DEMO_RP_PATH}/logout`, (_req, res) => {
    const q = new URLSearchParams({ wa: 'wsignout1.0', wreply: `${rpBase}/` });
    res.redirect(303, `${deps.base}?${q.toString()}`);
  });
}
