/** The challenge engine's public surface for the host and the CLI. */
export { createChallengeEngine, SHOW_STEPS, VERIFY_STEPS, type ChallengeEngine } from './challenge-engine.js';
export type { ChallengeEngineConfig, ChallengeEngineDeps } from './challenge-context.js';
export { unlockUser, readLock, type LockoutPolicy } from './lockout.js';
export { BINDING_COOKIE } from './browser-binding.js';
