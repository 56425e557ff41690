/**
 * Seeded random SAML inputs: values full of what breaks hand-written XML (markup characters,
 * whitespace that canonicalisation encodes, XML-looking text, non-ASCII, emoji, the characters
 * xmldom treats as line ends, long values). A failing case can be replayed from its seed.
 */
import type { SamlAttribute, SamlEmitOptions, SamlResponseInput } from '../../../src/saml/emit-response.js';

/** mulberry32: small, fast, good enough to pick test data deterministically. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  '&', '<', '>', '"', "'", '\t', '\r', '\n', '\r\n', ' ', '  ',
  '<x>a</x>', ']]>', '<![CDATA[x]]>', '<!-- c -->', '&amp;', '&#x41;', '&lt;', '<?pi x?>',
  'é', 'ß', 'Ω', '中文', 'עברית', 'ü\u0308', '\u00a0', '\u007f', '\u0080', '\ufeff', '\ufffd',
  '😀', '👩‍💻', '🇫🇷', '𝔘',
  '\u0085', '\u2028', '\u2029',
  'alice', 'Bob', '42', '=', '#', '%', '\\', '/',
];

export function randomText(random: () => number, maxPieces = 12): string {
  if (random() < 0.04) return 'long:' + 'xyz&<>"\u00e9😀'.repeat(200 + Math.floor(random() * 400));
  let s = '';
  const n = Math.floor(random() * maxPieces);
  for (let i = 0; i < n; i++) s += PIECES[Math.floor(random() * PIECES.length)];
  return s;
}

export interface RandomCaseSetting {
  now: number;
  issuer: string;
  audience: string;
  acs: string;
  requestId: string;
}

export interface RandomCase {
  seed: number;
  input: SamlResponseInput;
  options: SamlEmitOptions;
}

const SIGN_MODES = ['assertion', 'response', 'both'] as const;

export function randomCase(seed: number, setting: RandomCaseSetting): RandomCase {
  const random = seededRandom(seed);
  const attributes: SamlAttribute[] = [];
  const count = Math.floor(random() * 5);
  for (let i = 0; i < count; i++) {
    const values: string[] = [];
    const valueCount = 1 + Math.floor(random() * 4);
    for (let j = 0; j < valueCount; j++) values.push(randomText(random));
    const attribute: SamlAttribute = { name: `urn:test:${i}:${randomText(random, 4)}`, values };
    if (random() < 0.5) attribute.friendlyName = randomText(random, 4);
    if (random() < 0.2) attribute.nameFormat = 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic';
    attributes.push(attribute);
  }
  const { now } = setting;
  return {
    seed,
    options: {
      sign: SIGN_MODES[Math.floor(random() * SIGN_MODES.length)]!,
      attributeValueType: random() < 0.5 ? 'untyped' : 'xs:string',
    },
    input: {
      issueInstant: now,
      destination: setting.acs,
      inResponseTo: setting.requestId,
      issuer: setting.issuer,
      nameId: {
        // Starts with a letter: a blank NameID is refused by design.
        value: 'u' + randomText(random),
        format: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
        ...(random() < 0.3 ? { spNameQualifier: setting.audience } : {}),
      },
      subjectConfirmation: { recipient: setting.acs, notOnOrAfter: now + 5 * 60_000 },
      conditions: { notBefore: now - 60_000, notOnOrAfter: now + 5 * 60_000, audiences: [setting.audience] },
      authnStatement: {
        authnInstant: now - 1000,
        sessionIndex: '_s' + seed,
        authnContextClassRef: 'http://schemas.microsoft.com/claims/multipleauthn',
      },
      attributes,
    },
  };
}
