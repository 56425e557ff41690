/**
 * The State attribute of an Access-Challenge (RFC 2865 §5.24) is a random 128-bit token, not
 * the challenge id: it maps, through the host's keyed state in the store, to the challenge, the
 * user and the client it was issued to, so any host sharing the store (behind a RADIUS load
 * balancer) can take the next round. Each token is used once (`take`): a replayed State, or
 * one sent by another client or for another user, is refused.
 */
import { randomBytes } from 'node:crypto';
import type { KeyedState } from '../../src/sdk/adapter.js';

export interface ChallengeState {
  challengeId: string;
  username: string;
  client: string;
  /** Accept attributes decided at the password step (group membership), for the last round. */
  groups: string[];
}

const PREFIX = 'state:';

function isChallengeState(v: unknown): v is ChallengeState {
  const s = v as Partial<ChallengeState> | null;
  return s !== null && typeof s === 'object' && typeof s.challengeId === 'string' && typeof s.username === 'string' && typeof s.client === 'string' && Array.isArray(s.groups);
}

export class ChallengeStates {
  constructor(
    private readonly state: KeyedState,
    private readonly ttlMs: number,
  ) {}

  async issue(value: ChallengeState): Promise<Buffer> {
    const token = randomBytes(16);
    await this.state.put(PREFIX + token.toString('base64url'), value, this.ttlMs);
    return token;
  }

  /** The state the token stands for, once; null when unknown, expired or already used. */
  async take(token: Buffer): Promise<ChallengeState | null> {
    if (token.length !== 16) return null;
    const v = await this.state.take(PREFIX + token.toString('base64url'));
    return isChallengeState(v) ? v : null;
  }
}
