// Signature only as a child of the message, no second message inside it, unique IDs, no comments.
import { descendants, elementPath, findCommentOrInstruction } from '../../xml/index.js';
import { clip } from '../../kit/clip.js';
import { NS_DS, signaturesOf } from '../signature/signature-form.js';
import { duplicateId } from '../signature/verify-enveloped.js';
import { need, refuse, type RequestCheck } from './context.js';

/*
 * The request forms of the wrapping attacks the bridge's Response checks refuse (XSW1–XSW8,
 * "On Breaking SAML", USENIX Security 2012): the signed message, or a forged one, moved
 * somewhere a careless reader still finds it — inside Extensions, inside the Signature or its
 * Object, beside a second element answering to the signed ID. SAML Core §5.4.1 puts an
 * enveloped Signature directly in the signed message; nothing else may carry one, and no
 * element inside a message is another message of the same kind.
 */
export const checkRequestShape: RequestCheck = (ctx) => {
  const root = need(ctx.received, 'the message');
  const { kind } = ctx.expectations;
  const all = descendants(root);
  for (const el of all) {
    if (el === root) continue;
    if (el.localName === kind) return refuse(ctx, 'WRAPPING', `a second ${kind} at ${elementPath(el)}`);
    if (el.namespaceURI === NS_DS && el.localName === 'Signature' && el.parentNode !== root) {
      return refuse(ctx, 'WRAPPING', `a Signature at ${elementPath(el)}, not on the ${kind}`);
    }
  }
  const signatures = signaturesOf(root);
  if (signatures.length > 1) return refuse(ctx, 'WRAPPING', `the ${kind} carries ${signatures.length} Signatures`);

  const duplicate = duplicateId(all);
  if (duplicate !== undefined) return refuse(ctx, 'WRAPPING', `duplicate ID ${clip(duplicate.id)} (at ${elementPath(duplicate.element)})`);

  /*
   * Exclusive C14N without comments drops comments before the digest, so a NameID of
   * `alice@evil.example<!---->.good.example` verifies while a reader taking the first text node
   * sees another user (Duo Labs 2018, CVE-2017-11427 …). Values are read from the signed bytes
   * and joined over text nodes anyway; refusing comments and processing instructions keeps a
   * second, independent barrier, and no SP has a reason to send them.
   */
  const markup = findCommentOrInstruction(root);
  if (markup !== undefined) return refuse(ctx, 'COMMENT', `${markup} of the ${kind}`);

  ctx.signature = signatures[0] ?? null;
  return undefined;
};
