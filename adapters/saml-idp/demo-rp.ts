/**
 * The built-in demo relying party of `npm start` (`demoRelyingParty: true`), under
 * `/saml/idp/demo-rp/`. It is a real SAML SP built on @node-saml/node-saml, independent of our
 * own parsing: it sends an AuthnRequest, checks the signed Response against the certificate
 * from our metadata, and shows the subject, attributes and authentication context it received.
 */
import express, { type Router } from 'express';
import { SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import type { HostApi } from '../../src/sdk/adapter.js';
import type { RelyingPartyConfig } from './config.js';

export const DEMO_RP_PATH = '/demo-rp';

export function demoRelyingPartyConfig(base: string): RelyingPartyConfig {
  return {
    name: 'demo-rp',
    entityId: `${base}${DEMO_RP_PATH}`,
    acs: [{ url: `${base}${DEMO_RP_PATH}/acs`, binding: 'post', index: 0 }],
    slo: { url: `${base}${DEMO_RP_PATH}/slo`, binding: 'redirect' },
    metadataRefresh: '1h',
    requireSignedRequests: false,
    nameId: { format: 'unspecified', source: 'username' },
    attributes: [
      { name: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name', source: 'username' },
      { name: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress', source: 'email' },
      { name: 'http://schemas.microsoft.com/identity/claims/displayname', source: 'displayName' },
    ],
    sign: 'both',
    encryptAssertion: false,
    encryptionAlgorithm: 'aes256-gcm',
    mfaAuthnContextClassRef: 'http://schemas.microsoft.com/claims/multipleauthn',
    sendAuthnMethodsReferences: true,
    primary: 'password',
    upstreamAttributes: true,
    allowIdpInitiated: false,
  };
}

function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><meta name="viewport" content="width=device-width, initial-scale=1"></head><body><main><h1>${esc(title)}</h1>${body}</main></body></html>`;
}

export function mountDemoRp(router: Router, deps: { host: HostApi; base: string; idpEntityId: string }): void {
  const rpBase = `${deps.base}${DEMO_RP_PATH}`;
  const saml = new SAML({
    entryPoint: `${deps.base}/sso`,
    logoutUrl: `${deps.base}/slo`,
    issuer: rpBase,
    audience: rpBase,
    callbackUrl: `${rpBase}/acs`,
    logoutCallbackUrl: `${rpBase}/slo`,
    idpIssuer: deps.idpEntityId,
    idpCert: deps.host.keys.published.map((k) => k.certificatePem),
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: true,
    validateInResponseTo: ValidateInResponseTo.always,
    disableRequestedAuthnContext: true,
    identifierFormat: null,
  });
  const form = express.urlencoded({ extended: false, limit: 512 * 1024 });

  router.get(`${DEMO_RP_PATH}/`, (_req, res) => {
    res.type('html').send(page('Demo relying party', '<p>A SAML service provider that trusts this factorgate.</p><p><a href="login">Sign in with factorgate</a></p>'));
  });

  router.get(`${DEMO_RP_PATH}/login`, async (_req, res) => {
    res.redirect(303, await saml.getAuthorizeUrlAsync('demo', undefined, {}));
  });

  router.post(`${DEMO_RP_PATH}/acs`, form, async (req, res) => {
    try {
      const { profile } = await saml.validatePostResponseAsync(req.body as Record<string, string>);
      if (!profile) throw new Error('no profile');
      const xml = profile.getAssertionXml?.() ?? '';
      const classRef = /AuthnContextClassRef>([^<]*)</.exec(xml)?.[1] ?? '(none)';
      const rows = Object.entries(profile.attributes ?? {})
        .map(([name, value]) => `<tr><th scope="row">${esc(name)}</th><td>${(Array.isArray(value) ? value : [value]).map(esc).join('<br>')}</td></tr>`)
        .join('');
      res.type('html').send(
        page(
          'Signed in to the demo relying party',
          `<dl><dt>Subject (NameID)</dt><dd id="name-id">${esc(profile.nameID)}</dd><dt>NameID format</dt><dd>${esc(profile.nameIDFormat)}</dd>` +
            `<dt>Authentication context</dt><dd id="authn-context">${esc(classRef)}</dd><dt>SessionIndex</dt><dd>${esc(profile.sessionIndex ?? '')}</dd></dl>` +
            `<table><caption>Attributes</caption>${rows}</table>` +
            `<form method="post" action="logout"><input type="hidden" name="nameID" value="${esc(profile.nameID)}"><input type="hidden" name="nameIDFormat" value="${esc(profile.nameIDFormat)}"><input type="hidden" name="sessionIndex" value="${esc(profile.sessionIndex ?? '')}"><button type="submit">Sign out (single logout)</button></form>`,
        ),
      );
    } catch (err) {
      deps.host.logger.warn({ err: (err as Error).message }, 'demo relying party refused the response');
      res.status(400).type('html').send(page('The demo relying party refused the response', `<p>${esc((err as Error).message)}</p>`));
    }
  });

  router.post(`${DEMO_RP_PATH}/logout`, form, async (req, res) => {
    // Express leaves req.body undefined for a POST without a form body; fields must be strings.
    const body = (req.body ?? {}) as Record<string, unknown>;
    const field = (name: string): string => (typeof body[name] === 'string' ? body[name] : '');
    if (field('nameID') === '') {
      res.status(400).type('html').send(page('Nothing to sign out of', '<p>The logout form names no signed-in subject. <a href="./">Sign in first</a>.</p>'));
      return;
    }
    const url = await saml.getLogoutUrlAsync(
      { issuer: deps.idpEntityId, nameID: field('nameID'), nameIDFormat: field('nameIDFormat'), sessionIndex: field('sessionIndex') },
      'demo',
      {},
    );
    res.redirect(303, url);
  });

  router.get(`${DEMO_RP_PATH}/slo`, async (req, res) => {
    try {
      const i = req.originalUrl.indexOf('?');
      await saml.validateRedirectAsync(req.query as Record<string, string>, i < 0 ? '' : req.originalUrl.slice(i + 1));
      res.type('html').send(page('Signed out of the demo relying party', '<p><a href="./">Start again</a></p>'));
    } catch (err) {
      res.status(400).type('html').send(page('The demo relying party refused the logout message', `<p>${esc((err as Error).message)}</p>`));
    }
  });
}
