// The posted SAMLResponse is capped in size, then base64-decoded strictly into UTF-8 XML.
import { clip, fail, type ResponseCheck } from './context.js';

export const DEFAULT_MAX_BYTES = 256 * 1024;

/*
 * SAML Bindings §3.5.4: the HTTP-POST binding carries the message base64-encoded (RFC 2045
 * line breaks allowed). Tests and the interop harness may pass the XML itself.
 */
const BASE64 = /^[A-Za-z0-9+/\r\n\t ]*={0,2}[\r\n\t ]*$/;

export const decodeInput: ResponseCheck = (ctx) => {
  const max = ctx.expectations.maxBytes ?? DEFAULT_MAX_BYTES;
  // Measured before any decoding or parsing, so an oversized post costs nothing but this test.
  if (ctx.input.length > max) return fail('TOO_LARGE', `input of ${ctx.input.length} characters exceeds ${max}`);

  let text = ctx.input.replace(/^\uFEFF/, '').trimStart();
  if (!text.startsWith('<')) {
    if (!BASE64.test(ctx.input)) return fail('NOT_XML', 'neither XML nor base64');
    const bytes = Buffer.from(ctx.input, 'base64');
    if (bytes.length > max) return fail('TOO_LARGE', `decoded message of ${bytes.length} bytes exceeds ${max}`);
    // A strict UTF-8 decoder: malformed sequences are refused rather than replaced with U+FFFD.
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
    } catch {
      return fail('NOT_XML', 'the decoded message is not UTF-8');
    }
  }
  /*
   * XML 1.0 §4.3.3 lets a document declare another encoding; we decoded UTF-8, so a document
   * claiming UTF-16 or UTF-7 would be read differently here than by its author (and such
   * spellings are a known way to hide a DOCTYPE from byte-level filters). Refused.
   */
  const declared = /^\s*<\?xml[^>]*encoding\s*=\s*["']([^"']+)["']/.exec(text)?.[1];
  if (declared !== undefined && !/^utf-?8$/i.test(declared)) return fail('NOT_XML', `declared encoding ${clip(declared)} is not UTF-8`);
  if (!text.trimStart().startsWith('<')) return fail('NOT_XML', 'the decoded message does not start with markup');
  ctx.xml = text.trimStart();
  return undefined;
};
