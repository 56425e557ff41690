// The Assertion's id has not been accepted before, on any host sharing the store.
import { fail, need, type ResponseCheck } from './context.js';

/*
 * SAML Profiles §4.1.4.5: the SP must ensure a bearer assertion is not used twice, keeping its
 * id at least until the assertion's NotOnOrAfter. The skew is added: until then a replay would
 * still pass the validity window. The scope carries the issuer, as ids are unique per issuer
 * only (SAML Core §1.3.4), behind the caller's own scope (the core owns no adapter's name).
 */
export const checkReplay: ResponseCheck = async (ctx) => {
  const result = need(ctx.result, 'the read assertion');
  const scope = `${ctx.deps.replayScope ?? 'saml'}:assertion:${result.issuer}`;
  const fresh = await ctx.deps.replay.markUsed(scope, result.assertionId, result.notOnOrAfter + ctx.skewMs);
  if (!fresh) return fail('REPLAY', `assertion ${result.assertionId} was already used`);
  return undefined;
};
