/**
 * The security headers every response carries, computed once. helmet decides them (CSP, HSTS,
 * frame, referrer, cross-origin policies…); with static options its answer is the same for every
 * request, yet as middleware it runs a chain of a dozen functions, each calling `setHeader`, on
 * every request. So helmet runs once at start-up against a recorder, and each request gets the
 * recorded operations replayed in the same order: the same header names and bytes. Options whose
 * answer depends on the request (a CSP directive given as a function, e.g. a per-request nonce)
 * cannot be recorded: they are refused at start-up rather than frozen to one request's value.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import type { HelmetOptions } from 'helmet';

/** The host's helmet options: static, so their headers can be computed once. */
export function hostHelmetOptions(opts: { secure: boolean; logoUrl?: string | undefined }): HelmetOptions {
  return {
    contentSecurityPolicy: {
      directives: {
        'upgrade-insecure-requests': opts.secure ? [] : null,
        'form-action': ["'self'"],
        'img-src': ["'self'", 'data:', ...(opts.logoUrl ? [opts.logoUrl] : [])],
      },
    },
    strictTransportSecurity: opts.secure,
  };
}

type HeaderValue = string | number | readonly string[];
type HeaderOp = { set: string; value: HeaderValue } | { remove: string };
type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/** What `middleware` does to a response's headers, recorded; throws if it looks at the request or does anything else. */
export function recordHeaderOps(middleware: Middleware): readonly HeaderOp[] {
  const ops: HeaderOp[] = [];
  const refuse = (what: string): never => {
    throw new Error(`security headers: the header middleware ${what}; its headers cannot be computed once`);
  };
  const recorder = {
    setHeader(name: string, value: HeaderValue) {
      ops.push({ set: name, value: Array.isArray(value) ? Object.freeze([...(value as string[])]) : value });
      return recorder;
    },
    removeHeader(name: string) {
      ops.push({ remove: name });
    },
  };
  // A request with no properties: an option that reads the request (or the response beyond
  // setting headers) meets a Proxy that refuses, instead of recording one request's answer.
  const guard = <T extends object>(target: T, name: string): T =>
    new Proxy(target, {
      get: (t, key) => (typeof key === 'string' && key in t ? t[key as keyof T] : refuse(`reads ${name}.${String(key)}`)),
      set: (_t, key) => refuse(`writes ${name}.${String(key)}`),
    });
  let done = false;
  middleware(guard({}, 'req') as IncomingMessage, guard(recorder, 'res') as unknown as ServerResponse, (err) => {
    if (err) throw err;
    done = true;
  });
  if (!done) refuse('did not call next synchronously');
  return Object.freeze(ops);
}

/** A request step (request-steps.ts) that applies `middleware`'s recorded header operations to every response. */
export function precomputedHeadersStep(middleware: Middleware): (req: IncomingMessage, res: ServerResponse) => void {
  const ops = recordHeaderOps(middleware);
  return (_req, res) => {
    for (const op of ops) {
      if ('set' in op) res.setHeader(op.set, op.value);
      else res.removeHeader(op.remove);
    }
  };
}

/** The same as one middleware; used by tests only (the host runs `precomputedHeadersStep` as a request step). */
export function precomputedHeaders(middleware: Middleware): RequestHandler {
  const apply = precomputedHeadersStep(middleware);
  return (req, res, next) => {
    apply(req, res);
    next();
  };
}
