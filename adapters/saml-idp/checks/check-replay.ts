// A request ID is accepted once per relying party, by every host sharing the store.
import { SamlRejection } from '../rejection.js';
import { need, type RequestCheck } from './context.js';

export const checkReplay: RequestCheck = async (ctx) => {
  const rp = need(ctx.rp, 'the relying party');
  const id = need(ctx.id, 'the request ID');
  const issued = need(ctx.issueInstant, 'the issue instant');
  /*
   * SAML Core §1.3.4 makes IDs unique per sender, so the key is (issuer, ID). It is kept until
   * the request could no longer pass the freshness check, after which a replay fails there.
   */
  const until = Math.max(issued, ctx.now) + ctx.idp.requestMaxAgeMs;
  if (!(await ctx.replay.markUsed(`saml-idp:${ctx.kind}`, `${rp.entityId}\n${id}`, until))) {
    throw new SamlRejection('REPLAYED_REQUEST', 'this request was already used (replayed request ID)', { relyingParty: rp.name });
  }
};
