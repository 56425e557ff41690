// No comment or processing instruction inside the Assertion.
import type { Element } from '@xmldom/xmldom';
import { fail, need, type ResponseCheck } from './context.js';

const PROCESSING_INSTRUCTION_NODE = 7;
const COMMENT_NODE = 8;

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
  const stack: Element[] = [assertion];
  while (stack.length > 0) {
    const el = stack.pop() as Element;
    for (let node = el.firstChild; node !== null; node = node.nextSibling) {
      if (node.nodeType === COMMENT_NODE) return fail('COMMENT', `a comment inside ${el.localName ?? '?'}`);
      if (node.nodeType === PROCESSING_INSTRUCTION_NODE) return fail('COMMENT', `a processing instruction inside ${el.localName ?? '?'}`);
      if (node.nodeType === 1) stack.push(node as Element);
    }
  }
  return undefined;
};
