/**
 * The keys that sign results (ES256, RFC 7518 §3.4), kept in the adapter's own table: one signs
 * until its lifetime ends; its successor is published ahead (from half a lifetime, at most a
 * day, before), and a retired key stays in the JWKS for one more day, so an app holding a cached key set, or a result signed a moment
 * before, still verifies. Several hosts on one store may each make a key at a rollover: all are
 * published, any of them verifies.
 */
import { createPrivateKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AdapterSecrets, Clock } from '../../src/sdk/adapter.js';

export interface EmbedTables {
  embed_signing_keys: {
    kid: string;
    private_key: string;
    public_jwk: string;
    created_at: number;
    retire_at: number;
    expires_at: number;
  };
}

/** How long a retired key stays published. */
export const PUBLISHED_AFTER_RETIREMENT_MS = 86_400_000;

export const signingKeyContext = (kid: string): string => `embed:signing-key:${kid}`;

export interface CurrentKey {
  kid: string;
  key: KeyObject;
  retireAt: number;
}

export interface PublicJwk {
  kid: string;
  kty: string;
  crv: string;
  x: string;
  y: string;
  alg: 'ES256';
  use: 'sig';
}

export class SigningKeys {
  private current: CurrentKey | null = null;
  /** The kid whose successor is known to be published. */
  private successorOf: string | null = null;
  /** How long before a key retires its successor is published (half a lifetime, at most a day). */
  private readonly prepublishMs: number;

  constructor(
    private readonly db: Kysely<EmbedTables>,
    private readonly secrets: AdapterSecrets,
    private readonly clock: Clock,
    private readonly lifetimeMs: number,
  ) {
    this.prepublishMs = Math.min(PUBLISHED_AFTER_RETIREMENT_MS, lifetimeMs / 2);
  }

  /**
   * The key to sign with now (made when none is live). Near its retirement the next key is made
   * ahead, active from that moment: apps' cached key sets (jose refreshes them every few
   * minutes) hold it before the first result it signs.
   */
  async signing(): Promise<CurrentKey> {
    const now = this.clock.now();
    const cached = this.current;
    if (cached && cached.retireAt > now && (cached.retireAt - now > this.prepublishMs || this.successorOf === cached.kid)) return cached;
    const rows = await this.db.selectFrom('embed_signing_keys').selectAll().where('retire_at', '>', now).execute();
    // Newest first in JS: an adapter's handle refuses raw SQL, which Kysely uses for `desc`. A few rows at most.
    const live = rows.filter((r) => Number(r.created_at) <= now).sort((a, b) => Number(b.created_at) - Number(a.created_at))[0];
    const current = live ? { kid: live.kid, key: createPrivateKey(this.secrets.decryptText(live.private_key, signingKeyContext(live.kid))), retireAt: Number(live.retire_at) } : await this.create(now);
    if (current.retireAt - now <= this.prepublishMs) {
      if (!rows.some((r) => Number(r.created_at) >= current.retireAt)) await this.create(current.retireAt);
      this.successorOf = current.kid;
    }
    this.current = current;
    return current;
  }

  /** Every key a result may carry now or soon: the next one, the signing one, those retired less than a day ago. */
  async published(): Promise<PublicJwk[]> {
    await this.signing();
    const rows = await this.db.selectFrom('embed_signing_keys').select(['public_jwk', 'created_at']).where('expires_at', '>', this.clock.now()).execute();
    return rows.sort((a, b) => Number(b.created_at) - Number(a.created_at)).map((r) => JSON.parse(r.public_jwk) as PublicJwk);
  }

  /** A new key, signing from `activeFrom`. */
  private async create(activeFrom: number): Promise<CurrentKey> {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const kid = randomBytes(12).toString('base64url');
    const jwk = publicKey.export({ format: 'jwk' });
    const published: PublicJwk = { kid, kty: String(jwk.kty), crv: String(jwk.crv), x: String(jwk.x), y: String(jwk.y), alg: 'ES256', use: 'sig' };
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const retireAt = activeFrom + this.lifetimeMs;
    await this.db
      .insertInto('embed_signing_keys')
      .values({ kid, private_key: this.secrets.encrypt(pem, signingKeyContext(kid)), public_jwk: JSON.stringify(published), created_at: activeFrom, retire_at: retireAt, expires_at: retireAt + PUBLISHED_AFTER_RETIREMENT_MS })
      .execute();
    return { kid, key: privateKey, retireAt };
  }
}
