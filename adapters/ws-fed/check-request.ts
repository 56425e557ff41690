/**
 * The checks a `/wsfed` query passes before anything else happens, in order, one rule each
 * (WS-Federation 1.2 §13.2: the passive requestor parameters). A check throws a WsFedRejection;
 * the table's order is the order a reader should expect refusals in.
 */
import { replyUrlFor, type Realm, type RealmRegistry } from './realms.js';
import { clip } from '../../src/sdk/adapter.js';
import { WsFedRejection } from './rejection.js';

export const ACTIONS = ['wsignin1.0', 'wsignout1.0', 'wsignoutcleanup1.0'] as const;
export type Action = (typeof ACTIONS)[number];

/** The parameters we read; others (wct, whr, username, wauth…) are ignored. */
const KNOWN = ['wa', 'wtrealm', 'wctx', 'wreply', 'wfresh'] as const;

export interface RequestLimits {
  maxContextBytes: number;
}

export interface CheckContext {
  rawQuery: string;
  limits: RequestLimits;
  realms: RealmRegistry;
  params: Map<string, string>;
  action?: Action;
  realm?: Realm;
  replyUrl?: string;
  wctx?: string;
  /** Minutes (WS-Federation §13.2.2 wfresh); 0 asks for a fresh sign-in. */
  freshMinutes?: number;
}

type Check = (ctx: CheckContext) => void;

// The whole query is bounded before it is decoded: wctx is the only long parameter.
const checkSize: Check = (ctx) => {
  if (ctx.rawQuery.length > ctx.limits.maxContextBytes * 3 + 8192) throw new WsFedRejection('TOO_LARGE', 'the sign-in request is larger than allowed');
};

// Each parameter is percent-decoded strictly (a malformed escape is refused, not replaced) and
// appears once: two values for one name would let two parsers disagree on which counts.
const checkEncoding: Check = (ctx) => {
  for (const part of ctx.rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    let name: string;
    let value: string;
    try {
      name = decodeURIComponent((eq < 0 ? part : part.slice(0, eq)).replace(/\+/g, ' '));
      value = decodeURIComponent((eq < 0 ? '' : part.slice(eq + 1)).replace(/\+/g, ' '));
    } catch {
      throw new WsFedRejection('BAD_ENCODING', 'the sign-in request is not correctly URL-encoded');
    }
    if (!(KNOWN as readonly string[]).includes(name)) continue;
    if (ctx.params.has(name)) throw new WsFedRejection('DUPLICATE_PARAMETER', `the parameter ${name} appears more than once`);
    // eslint-disable-next-line no-control-regex -- C0 controls have no place in any of these parameters
    if (/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]/.test(value)) throw new WsFedRejection('BAD_ENCODING', `the parameter ${name} holds control characters`);
    ctx.params.set(name, value);
  }
};

// WS-Federation §13.2: wa names the action; we serve sign-in and the two sign-out forms.
const checkAction: Check = (ctx) => {
  const wa = ctx.params.get('wa');
  if (wa === undefined || !(ACTIONS as readonly string[]).includes(wa)) {
    throw new WsFedRejection('UNSUPPORTED_ACTION', wa === undefined ? 'the request names no action (wa)' : `the action ${clip(wa, 40)} is not supported`);
  }
  ctx.action = wa as Action;
};

// §13.2.2: wtrealm identifies the relying party; only configured realms get a token.
const checkRealm: Check = (ctx) => {
  if (ctx.action !== 'wsignin1.0') return;
  const wtrealm = ctx.params.get('wtrealm');
  if (wtrealm === undefined || wtrealm === '') throw new WsFedRejection('MISSING_REALM', 'the request names no realm (wtrealm)');
  const realm = ctx.realms.byId(wtrealm);
  if (!realm) throw new WsFedRejection('UNKNOWN_REALM', `no realm ${clip(wtrealm, 100)} is configured`);
  ctx.realm = realm;
};

// §13.2.2 wreply: a URL the response goes to; only the realm's own reply URLs (open redirect otherwise).
const checkReply: Check = (ctx) => {
  if (!ctx.realm) return;
  const reply = replyUrlFor(ctx.realm, ctx.params.get('wreply'));
  if (reply === null) throw new WsFedRejection('FOREIGN_REPLY', `the reply address ${clip(ctx.params.get('wreply'), 100)} is not registered for this realm`, { realm: ctx.realm.name });
  ctx.replyUrl = reply;
};

// §13.2.2 wctx: opaque to us and echoed byte for byte; only its length is bounded.
const checkContext: Check = (ctx) => {
  const wctx = ctx.params.get('wctx');
  if (wctx !== undefined && Buffer.byteLength(wctx) > ctx.limits.maxContextBytes) {
    throw new WsFedRejection('CONTEXT_TOO_LONG', `the context (wctx) is longer than ${ctx.limits.maxContextBytes} bytes`, { realm: ctx.realm?.name });
  }
  ctx.wctx = wctx;
};

// §13.2.2 wfresh: the oldest sign-in the relying party accepts, in minutes; 0 means sign in again.
const checkFreshness: Check = (ctx) => {
  const wfresh = ctx.params.get('wfresh');
  if (wfresh === undefined || wfresh === '') return;
  if (!/^\d{1,7}$/.test(wfresh)) throw new WsFedRejection('BAD_FRESHNESS', 'wfresh must be a whole number of minutes', { realm: ctx.realm?.name });
  ctx.freshMinutes = Number(wfresh);
};

export const WSFED_REQUEST_CHECKS: readonly Check[] = [checkSize, checkEncoding, checkAction, checkRealm, checkReply, checkContext, checkFreshness];

export function checkRequest(rawQuery: string, limits: RequestLimits, realms: RealmRegistry): CheckContext {
  const ctx: CheckContext = { rawQuery, limits, realms, params: new Map() };
  for (const check of WSFED_REQUEST_CHECKS) check(ctx);
  return ctx;
}
