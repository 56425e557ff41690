/**
 * The keys that sign results (ES256, RFC 7518 §3.4), kept in the adapter's own table: one signs
 * until its lifetime ends, then a new one is made on the next use; a retired key stays in the
 * JWKS for one more day, so an app holding a cached key set, or a result signed a moment
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

  constructor(
    private readonly db: Kysely<EmbedTables>,
    private readonly secrets: AdapterSecrets,
    private readonly clock: Clock,
    private readonly lifetimeMs: number,
  ) {}

  /** The key to sign with now, made when none is live. */
  async signing(): Promise<CurrentKey> {
    const now = this.clock.now();
    if (this.current && this.current.retireAt > now) return this.current;
    // Newest first in JS: an adapter's handle refuses raw SQL, which Kysely uses for `desc`. A few rows at most.
    const rows = await this.db.selectFrom('embed_signing_keys').selectAll().where('retire_at', '>', now).execute();
    const row = rows.sort((a, b) => Number(b.created_at) - Number(a.created_at))[0];
    this.current = row ? { kid: row.kid, key: createPrivateKey(this.secrets.decryptText(row.private_key, signingKeyContext(row.kid))), retireAt: Number(row.retire_at) } : await this.create(now);
    return this.current;
  }

  /** Every key a result may carry now: the signing one and those retired less than a day ago. */
  async published(): Promise<PublicJwk[]> {
    await this.signing();
    const rows = await this.db.selectFrom('embed_signing_keys').select(['public_jwk', 'created_at']).where('expires_at', '>', this.clock.now()).execute();
    return rows.sort((a, b) => Number(b.created_at) - Number(a.created_at)).map((r) => JSON.parse(r.public_jwk) as PublicJwk);
  }

  private async create(now: number): Promise<CurrentKey> {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const kid = randomBytes(12).toString('base64url');
    const jwk = publicKey.export({ format: 'jwk' });
    const published: PublicJwk = { kid, kty: String(jwk.kty), crv: String(jwk.crv), x: String(jwk.x), y: String(jwk.y), alg: 'ES256', use: 'sig' };
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const retireAt = now + this.lifetimeMs;
    await this.db
      .insertInto('embed_signing_keys')
      .values({ kid, private_key: this.secrets.encrypt(pem, signingKeyContext(kid)), public_jwk: JSON.stringify(published), created_at: now, retire_at: retireAt, expires_at: retireAt + PUBLISHED_AFTER_RETIREMENT_MS })
      .execute();
    return { kid, key: privateKey, retireAt };
  }
}
