/**
 * What an app tells `factorgate/express`: where factorgate is, its client id there, and the
 * client secret (given, or read once from a file at construction: a missing or short secret
 * stops the app at start, not at the first sign-in). The endpoints follow from the URL.
 */
import { readFileSync } from 'node:fs';

export interface FactorgateOptions {
  /** factorgate's public URL (`https://mfa.corp.example`). */
  url: string;
  /** The client id, as `adapters.embed.clients[].id` declares it. */
  client: string;
  /** The client secret; or `secretFile`. */
  secret?: string;
  /** A file holding the client secret (a trailing newline is ignored). */
  secretFile?: string;
  /** The `aud` factorgate puts in results for this client (`clients[].audience`). Default: `client`. */
  audience?: string;
  /**
   * The user name factorgate knows the signed-in user by. Default: `req.user.username`, else
   * `req.user.name`, else `req.user.id` when it is a string.
   */
  getUser?: (req: import('express').Request) => string | null | undefined | Promise<string | null | undefined>;
  /** The app's own public origin (`https://intranet.corp.example`), when it sits behind a proxy that Express does not trust. Default: from the request. */
  appUrl?: string;
  /** Accept a result where policy let the user pass without a factor (`mfa: false`). Default false. */
  allowWithoutFactor?: boolean;
  /** Where used result ids are remembered (single use); share one across app instances. Default: in memory. */
  replayStore?: import('./replay-store.js').ReplayStore;
  /** Milliseconds since the epoch; for tests. Default: `Date.now`. */
  now?: () => number;
}

export interface ResolvedOptions {
  client: string;
  audience: string;
  /** The HS256 key of requests. */
  key: Uint8Array;
  /** `<url>/embed`: the `aud` of requests, the `iss` of results. */
  issuer: string;
  startUrl: string;
  jwksUrl: URL;
  appUrl: string | null;
  allowWithoutFactor: boolean;
  now: () => number;
}

function readSecret(options: FactorgateOptions): string {
  if (options.secret !== undefined && options.secretFile !== undefined) throw new TypeError('factorgate/express: give either secret or secretFile, not both');
  if (options.secretFile !== undefined) {
    try {
      return readFileSync(options.secretFile, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw new TypeError(`factorgate/express: cannot read secretFile ${options.secretFile} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  if (options.secret === undefined) throw new TypeError('factorgate/express: secret or secretFile is required');
  return options.secret;
}

export function resolveOptions(options: FactorgateOptions): ResolvedOptions {
  let base: URL;
  try {
    base = new URL(options.url);
  } catch {
    throw new TypeError(`factorgate/express: url is not an absolute URL: ${String(options.url)}`);
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:') throw new TypeError('factorgate/express: url must be http(s)');
  if (typeof options.client !== 'string' || options.client === '') throw new TypeError('factorgate/express: client is required');
  const secret = readSecret(options);
  if (secret.length < 32) throw new TypeError('factorgate/express: the client secret must have at least 32 characters');
  const root = base.href.replace(/\/+$/, '');
  return {
    client: options.client,
    audience: options.audience ?? options.client,
    key: new TextEncoder().encode(secret),
    issuer: `${root}/embed`,
    startUrl: `${root}/embed/start`,
    jwksUrl: new URL(`${root}/embed/jwks.json`),
    appUrl: options.appUrl ? options.appUrl.replace(/\/+$/, '') : null,
    allowWithoutFactor: options.allowWithoutFactor ?? false,
    now: options.now ?? Date.now,
  };
}
