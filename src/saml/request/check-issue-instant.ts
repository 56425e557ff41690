// The message was issued recently: IssueInstant is a UTC instant within the accepted window.
import { attr } from '../../xml/index.js';
import { parseInstant } from '../saml-instant.js';
import { clip } from '../../kit/clip.js';
import { need, refuse, type RequestCheck } from './context.js';

export const checkIssueInstant: RequestCheck = (ctx) => {
  const root = need(ctx.root, 'the trusted message');
  const text = attr(root, 'IssueInstant');
  // SAML Core §1.3.3: xs:dateTime in UTC with no time zone component.
  const instant = parseInstant(text ?? '');
  if (instant === undefined) return refuse(ctx, 'MALFORMED_XML', `the ${ctx.expectations.kind} IssueInstant ${clip(text)} is not a UTC instant`);
  // SAML Core §3.2.1 leaves freshness to the recipient; bounding it also bounds how long a
  // request ID must stay in the replay cache.
  if (Math.abs(ctx.now - instant) > ctx.expectations.maxAgeMs) {
    return refuse(ctx, 'STALE_REQUEST', `the ${ctx.expectations.kind} was issued at ${new Date(instant).toISOString()}, outside the accepted window`);
  }
  ctx.id = attr(root, 'ID') ?? '';
  ctx.issueInstant = instant;
  return undefined;
};
