/**
 * `factorgate/express`: add factorgate's second factor to an Express app that signs its users in
 * itself (with passport or without). See README.md, "Embedding in an Express app".
 *
 *   passport.use(new FactorgateStrategy({ url: 'https://mfa.corp.example', client: 'intranet', secretFile: '…' }));
 *   app.get('/payroll', requireMfa({ maxAge: '8h' }), handler);   // handler reads req.user.mfa
 */
export { FactorgateStrategy, type FactorgateStrategyOptions, type StrategyActions } from './strategy.js';
export { requireMfa, type RequireMfaOptions } from './require-mfa.js';
export { FactorgateClient, ResultRefused, RESULT_PARAM, type ResultRefusal } from './factorgate-client.js';
export type { FactorgateOptions } from './options.js';
export { MemoryReplayStore, type ReplayStore } from './replay-store.js';
export type { MfaFacts } from './session-state.js';
