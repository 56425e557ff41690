// No comment or processing instruction inside the Assertion.
import { findCommentOrInstruction } from '../../xml/index.js';
import { fail, need, type ResponseCheck } from './context.js';

/*
 * Exclusive C14N without comments (the only form IdPs sign with) drops comments before the
 * digest (Exc-C14N §3, Canonical XML 1.0 §1.1), so `alice@evil.example<!---->.good.example`
 * verifies while a reader that takes the first text node sees another user (Duo Labs 2018,
 * CVE-2017-11427 …). Values are read from the signed canonical bytes anyway; refusing the
 * comment as well keeps a second, independent barrier, and no IdP has a reason to send one.
 * Processing instructions survive C14N and so would break the digest; refused for the same
 * clarity of reason.
 */
export const refuseComments: ResponseCheck = (ctx) => {
  const assertion = need(ctx.receivedAssertion, 'the Assertion');
  const found = findCommentOrInstruction(assertion);
  if (found !== undefined) return fail('COMMENT', found);
  return undefined;
};
