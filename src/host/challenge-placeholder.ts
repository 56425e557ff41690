/**
 * Until the challenge engine is wired (src/challenge/), a sign-in that passed the password
 * simply starts a password-only session. Replaced by `createChallengeEngine`.
 */
import type { Router } from 'express';
import type { ChallengeApi, SessionApi } from './host-api.js';
import type { Clock } from './clock.js';

export interface PlaceholderDeps {
  sessions: SessionApi;
  clock: Clock;
}

export function createChallengeEngine(deps: PlaceholderDeps): { api: ChallengeApi; mount(router: Router): void } {
  return {
    api: {
      async begin(input) {
        await deps.sessions.create(input.res, { userId: input.user.id, methods: [], multiFactor: false, authnInstant: deps.clock.now() });
        return { challengeId: '', redirectTo: '/login' };
      },
    },
    mount() {},
  };
}
