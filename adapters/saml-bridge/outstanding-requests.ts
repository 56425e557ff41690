/**
 * AuthnRequests we sent upstream and that are not answered yet, in the store so any host can
 * take the Response. Each row is bound to the browser that was sent (a cookie of ours, stored as
 * its SHA-256), holds the requesting adapter's state encrypted, and is consumed by exactly one
 * DELETE: InResponseTo is required and single-use on every host sharing the store.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Kysely } from 'kysely';
import type { EnrolmentPolicy } from '../../src/sdk/adapter.js';
import type { Clock } from '../../src/sdk/adapter.js';
import { readCookie } from '../../src/sdk/adapter.js';
import type { AdapterSecrets } from '../../src/sdk/adapter.js';

interface RequestsTable {
  id: string;
  upstream: string;
  browser_hash: string;
  payload_enc: string;
  created_at: number;
  expires_at: number;
}

export interface BridgeTables {
  saml_bridge_requests: RequestsTable;
}

/** What the requesting adapter asked for, handed to the challenge once the upstream answered. */
export interface RequestPayload {
  adapter: string;
  continuation: unknown;
  relyingParty: string | null;
  enrolmentPolicy: EnrolmentPolicy | null;
  /** The relying party asked for a multi-factor context (absent in requests stored before). */
  stepUp?: boolean | undefined;
}

export interface OutstandingRequest {
  id: string;
  upstream: string;
  payload: RequestPayload;
  /** True when the request's cookie came back with it (the same browser). */
  sameBrowser: boolean;
}

const sha256 = (v: string) => createHash('sha256').update(v).digest('base64url');
const COOKIE_VALUE = /^[A-Za-z0-9_-]{43}$/;

/** The secret-box context of an outstanding request's payload. */
export function bridgeRequestContext(id: string): string {
  return `saml-bridge:request:${id}`;
}

export class OutstandingRequests {
  readonly #cookie: string;
  readonly #secure: boolean;

  constructor(
    private readonly db: Kysely<BridgeTables>,
    private readonly secrets: AdapterSecrets,
    private readonly clock: Clock,
    publicUrl: string,
    private readonly lifetimeMs: number,
  ) {
    this.#secure = new URL(publicUrl).protocol === 'https:';
    this.#cookie = this.#secure ? '__Host-fg_bridge' : 'fg_bridge';
  }

  /**
   * Records request `id` for this browser. The upstream posts the Response back from its own
   * site, so over HTTPS the cookie is SameSite=None (a Lax cookie would not come back with a
   * cross-site POST); it is HttpOnly, Secure and holds nothing but a random binding.
   */
  async add(req: Request, res: Response, id: string, upstream: string, payload: RequestPayload): Promise<void> {
    let binding = readCookie(req, this.#cookie);
    if (!binding || !COOKIE_VALUE.test(binding)) {
      binding = randomBytes(32).toString('base64url');
      res.cookie(this.#cookie, binding, { httpOnly: true, secure: this.#secure, sameSite: this.#secure ? 'none' : 'lax', path: '/', maxAge: this.lifetimeMs });
    }
    const now = this.clock.now();
    await this.db
      .insertInto('saml_bridge_requests')
      .values({
        id,
        upstream,
        browser_hash: sha256(binding),
        payload_enc: this.secrets.encrypt(JSON.stringify(payload), bridgeRequestContext(id)),
        created_at: now,
        expires_at: now + this.lifetimeMs,
      })
      .execute();
  }

  /** The unexpired request `id`, without consuming it (to know which upstream should have answered). */
  async peek(req: Request, id: string): Promise<OutstandingRequest | null> {
    if (id.length === 0 || id.length > 100) return null;
    const row = await this.db.selectFrom('saml_bridge_requests').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row || row.expires_at <= this.clock.now()) return null;
    const binding = readCookie(req, this.#cookie);
    return {
      id: row.id,
      upstream: row.upstream,
      payload: JSON.parse(this.secrets.decryptText(row.payload_enc, bridgeRequestContext(row.id))) as RequestPayload,
      sameBrowser: binding !== undefined && sha256(binding) === row.browser_hash,
    };
  }

  /** Single use: true only for the one caller whose DELETE removed the unexpired row. */
  async consume(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('saml_bridge_requests').where('id', '=', id).where('expires_at', '>', this.clock.now()).executeTakeFirst();
    return Number(r.numDeletedRows) === 1;
  }
}
