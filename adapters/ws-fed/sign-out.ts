/**
 * Sign-out (WS-Federation 1.2 §13.2.4). `wsignout1.0` ends the host session and tells every
 * realm that received a token in it to clean up (`wsignoutcleanup1.0` in an iframe each, as AD
 * FS does); `wsignoutcleanup1.0` ends the session and answers with a small page. Either then
 * goes to `wreply` when it is one of a configured realm's reply URLs, and never anywhere else.
 */
import type { Request, Response } from 'express';
import type { HostApi } from '../../src/sdk/adapter.js';
import { clip, escapeHtml } from '../../src/sdk/adapter.js';
import type { Realm, RealmRegistry } from './realms.js';
import { WsFedRejection } from './rejection.js';
import { ADAPTER_NAME, signedInRealms } from './session-data.js';

export interface SignOutDeps {
  host: Pick<HostApi, 'sessions' | 'audit' | 'logger' | 'users'>;
  realms: RealmRegistry;
  /** Every reply URL of every realm: the only places a sign-out may return to. */
  allReplyUrls: () => ReadonlySet<string>;
}

export function cleanupUrl(realm: Realm): string {
  const reply = realm.replyUrls[0]!;
  return `${reply}${reply.includes('?') ? '&' : '?'}wa=wsignoutcleanup1.0`;
}

export class SignOutFlow {
  constructor(private readonly deps: SignOutDeps) {}

  async signOut(req: Request, res: Response, action: 'wsignout1.0' | 'wsignoutcleanup1.0', wreply: string | undefined): Promise<void> {
    const { host } = this.deps;
    if (wreply !== undefined && !this.deps.allReplyUrls().has(wreply)) {
      throw new WsFedRejection('FOREIGN_REPLY', `the return address ${clip(wreply, 100)} is not a registered reply URL`);
    }
    const session = await host.sessions.get(req);
    const realms = session ? signedInRealms(session) : [];
    if (session) {
      const user = await host.users.findById(session.userId);
      await host.sessions.destroy(req, res);
      await host.audit.record({ event: 'wsfed-signout', result: 'success', user, adapter: ADAPTER_NAME, clientIp: req.ip, detail: `${action}; realms signed in: ${realms.join(', ') || 'none'}` });
    }
    const cleanups = action === 'wsignout1.0' ? realms.flatMap((name) => this.deps.realms.byName(name) ?? []).map(cleanupUrl) : [];
    if (cleanups.length === 0 && wreply !== undefined) {
      res.redirect(303, wreply);
      return;
    }
    const frames = cleanups.map((u) => `<iframe src="${escapeHtml(u)}" title="Signing out" width="0" height="0" hidden></iframe>`).join('');
    const next = wreply === undefined ? '' : `<p><a id="continue" href="${escapeHtml(wreply)}">Continue</a></p>`;
    const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Signed out</title></head><body><main><h1>You are signed out</h1>${next}${frames}</main></body></html>`;
    const frameOrigins = [...new Set(cleanups.map((u) => new URL(u).origin))].join(' ');
    res.status(200);
    // The cleanup page is loaded in other sites' iframes (their own sign-out); the sign-out page is not.
    const framedBy = action === 'wsignoutcleanup1.0' ? '*' : "'none'";
    if (action === 'wsignoutcleanup1.0') res.removeHeader('X-Frame-Options');
    res.setHeader('Content-Security-Policy', `default-src 'none'; frame-src ${frameOrigins || "'none'"}; base-uri 'none'; form-action 'none'; frame-ancestors ${framedBy}`);
    res.setHeader('Cache-Control', 'no-store');
    res.type('html').send(body);
  }
}
