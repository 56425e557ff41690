import type { ChallengesTable } from '../store/schema.js';

/** Every column of a challenge row (the compiler refuses one missing here or unknown to the table). */
export const CHALLENGE_COLUMNS = Object.keys({
  id: true, user_id: true, adapter: true, browser_hash: true, status: true, continuation_enc: true, enrol_factor_id: true, selected_method: true, methods_used: true,
  deny_reason: true, attempts: true, relying_party: true, client_ip: true, locale: true, created_at: true, expires_at: true, finished_at: true,
} satisfies Record<keyof ChallengesTable, true>) as (keyof ChallengesTable)[];
