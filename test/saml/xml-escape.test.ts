import { describe, expect, it } from 'vitest';
import { SamlEmitError } from '../../src/saml/emit-error.js';
import { canonicalAttribute, canonicalText, toDocumentForm } from '../../src/saml/xml-escape.js';

describe('canonical escaping (Canonical XML 1.0 §2.3)', () => {
  it('escapes only &, <, > and CR in text', () => {
    expect(canonicalText('a&b<c>d"e\'f\tg\nh\ri', 'v')).toBe('a&amp;b&lt;c&gt;d"e\'f\tg\nh&#xD;i');
  });

  it('escapes only &, <, ", TAB, LF and CR in attribute values', () => {
    expect(canonicalAttribute('a&b<c>d"e\'f\tg\nh\ri', 'v')).toBe('a&amp;b&lt;c>d&quot;e\'f&#x9;g&#xA;h&#xD;i');
  });

  it('keeps XML-looking text as one escaped value', () => {
    expect(canonicalText('<x>a</x>', 'v')).toBe('&lt;x&gt;a&lt;/x&gt;');
    expect(canonicalText(']]>', 'v')).toBe(']]&gt;');
  });

  it('returns plain values unchanged, including non-ASCII and emoji', () => {
    for (const s of ['', 'alice', 'é中文😀👩‍💻', '\u007f\u0080\u00a0\ufeff\ufffd', '𝔘']) {
      expect(canonicalText(s, 'v')).toBe(s);
      expect(canonicalAttribute(s, 'v')).toBe(s);
    }
  });

  it.each([
    ['NUL', '\u0000', 'U+0000'],
    ['a C0 control', '\u0001', 'U+0001'],
    ['vertical tab', '\u000b', 'U+000B'],
    ['form feed', '\u000c', 'U+000C'],
    ['unit separator', '\u001f', 'U+001F'],
    ['a lone high surrogate', '\ud83d', 'U+D83D'],
    ['a lone low surrogate', '\ude00', 'U+DE00'],
    ['reversed surrogates', '\ude00\ud83d', 'U+DE00'],
    ['U+FFFE', '\ufffe', 'U+FFFE'],
    ['U+FFFF', '\uffff', 'U+FFFF'],
  ])('refuses %s with an error naming the field and code point', (_, bad, codePoint) => {
    for (const escape of [canonicalText, canonicalAttribute]) {
      let caught: unknown;
      try {
        escape(`ok${bad}ok`, 'attributes[0].values[1]');
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(SamlEmitError);
      const err = caught as SamlEmitError;
      expect(err.reason).toBe('FORBIDDEN_CHARACTER');
      expect(err.code).toBe('INTERNAL');
      expect(err.message).toContain('attributes[0].values[1]');
      expect(err.message).toContain(`${codePoint} at index 2`);
    }
  });

  it('accepts TAB, LF, CR and paired surrogates', () => {
    expect(() => canonicalText('\t\n\r😀', 'v')).not.toThrow();
  });

  it('writes U+0085, U+2028 and U+2029 as character references in the document only', () => {
    const canonical = canonicalText('a\u0085b\u2028c\u2029d', 'v');
    expect(canonical).toBe('a\u0085b\u2028c\u2029d');
    expect(toDocumentForm(canonical)).toBe('a&#x85;b&#x2028;c&#x2029;d');
    expect(toDocumentForm('plain')).toBe('plain');
  });
});
