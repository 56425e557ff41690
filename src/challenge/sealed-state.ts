/**
 * The adapter's continuation (SAML request id and RelayState, a held login reply, …) is
 * sealed with the secret box, bound to the challenge id as associated data, so it cannot be
 * read from the store nor moved to another challenge. The adapter's enrolment policy travels
 * inside the same envelope: it is the adapter's decision and must not be editable in the store.
 */
import type { SecretBox } from '../store/secret-box.js';
import type { EnrolmentPolicy, ExternalIdentity } from '../api/host-api.js';
import type { SealedChallengeState } from './challenge-context.js';

const POLICIES: readonly EnrolmentPolicy[] = ['enroll', 'deny', 'allow'];

export function continuationContext(challengeId: string): string {
  return `challenge:${challengeId}:continuation`;
}

export function sealState(secrets: SecretBox, challengeId: string, state: SealedChallengeState): string {
  return secrets.encrypt(
    JSON.stringify({ v: 1, c: state.continuation ?? null, p: state.enrolmentPolicy, ...(state.identity ? { i: state.identity } : {}), ...(state.stepUp ? { s: 1 } : {}) }),
    continuationContext(challengeId),
  );
}

export function openState(secrets: SecretBox, challengeId: string, sealed: string): SealedChallengeState {
  const parsed = JSON.parse(secrets.decryptText(sealed, continuationContext(challengeId))) as { v: number; c: unknown; p: EnrolmentPolicy; i?: ExternalIdentity; s?: 1 };
  if (parsed.v !== 1 || !POLICIES.includes(parsed.p)) throw new Error(`challenge ${challengeId}: unknown sealed state format`);
  return { continuation: parsed.c, enrolmentPolicy: parsed.p, identity: parsed.i ?? null, stepUp: parsed.s === 1 };
}
