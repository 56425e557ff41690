/**
 * The text of an SMS code stays one segment (160 GSM-7 septets, 70 UCS-2 units) in every
 * locale, with the longest code (10 digits), lifetime (60 min) and product name (80 characters,
 * GSM-7 or not) the configuration allows, with and without the "Reply FRAUD" line, for a usual
 * and the longest public host name. Counted with Twilio's calculator, independently of the
 * fitting code's own choices.
 */
import { describe, expect, it } from 'vitest';
import { SegmentedMessage } from 'sms-segments-calculator';
import { LOCALES } from '../../src/delivery/locale.js';
import { smsText } from '../../src/delivery/messages.js';

const CODE = '0123456789';
const TTL = 3600;
/** Exactly 80 characters (branding.productName's maximum), padded with the last one. */
const eighty = (s: string) => Array.from(s.padEnd(80, s.at(-1))).slice(0, 80).join('');
const PRODUCTS = {
  'GSM-7': eighty('Contoso Multi-Factor Authentication Service for the Northern Region Staff Portal'),
  'GSM-7 with extension characters': eighty('{Contoso} [MFA] €uro ~ Portal | Service ^ for the Northern Region Staff Users\\'),
  'UCS-2': eighty('Contoso Authentification à deux facteurs – Service régional « Nord » pour le personnel'),
};
const HOSTS = { usual: 'mfa.example.com', longest: `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}` };

const segments = (text: string) => new SegmentedMessage(text, 'auto');

describe('the text of an SMS code', () => {
  it('has test inputs at the limits: 80-character product names, a 253-character host', () => {
    for (const p of Object.values(PRODUCTS)) expect(Array.from(p)).toHaveLength(80);
    expect(HOSTS.longest).toHaveLength(253);
    expect(segments(PRODUCTS['UCS-2']).encodingName).toBe('UCS-2');
  });

  for (const locale of LOCALES) {
    for (const [encoding, productName] of Object.entries(PRODUCTS)) {
      for (const fraudReply of [false, true]) {
        for (const [hostKind, originHost] of Object.entries(HOSTS)) {
          it(`${locale}, ${encoding} product name, fraud line ${fraudReply ? 'on' : 'off'}, ${hostKind} host: one segment, code first`, () => {
            const text = smsText(CODE, { locale, productName, ttlSeconds: TTL, originHost, fraudReply });
            expect(segments(text).segmentsCount, text).toBe(1);
            expect(text.startsWith(`${CODE} `)).toBe(true);
            if (hostKind === 'usual') {
              // With a usual host nothing that matters is given up: the origin-bound line last, the fraud line when asked.
              expect(text.endsWith(`\n\n@${originHost} #${CODE}`)).toBe(true);
              expect(text.includes(locale === 'fr' ? 'Pas vous ? Répondez FRAUDE' : 'Not you? Reply FRAUD')).toBe(fraudReply);
            }
          });
        }
      }
    }
  }

  it('keeps the whole sentence when it fits, and adds the fraud line only when asked', () => {
    const plain = smsText('123456', { locale: 'en', productName: 'factorgate', ttlSeconds: 300, originHost: 'mfa.example.com' });
    expect(plain).toBe('123456 is your factorgate code. It expires in 5 min. Never share it.\n\n@mfa.example.com #123456');
    const fr = smsText('123456', { locale: 'fr', productName: 'factorgate', ttlSeconds: 300, originHost: 'mfa.example.com', fraudReply: true });
    expect(fr).toBe('123456 est votre code factorgate. Il expire dans 5 min. Ne le communiquez à personne.\nPas vous ? Répondez FRAUDE\n\n@mfa.example.com #123456');
  });

  it('gives up "Never share it" before clipping the product name, and clips it before dropping it', () => {
    const long = PRODUCTS['GSM-7'];
    const en = smsText(CODE, { locale: 'en', productName: long, ttlSeconds: TTL, originHost: 'mfa.example.com', fraudReply: true });
    expect(en).toBe(`${CODE} is your ${long} code.\nNot you? Reply FRAUD\n\n@mfa.example.com #${CODE}`);
    // UCS-2 leaves 70 units: the name is clipped (by code point) or dropped, never the code or the lines.
    const u = smsText(CODE, { locale: 'fr', productName: PRODUCTS['UCS-2'], ttlSeconds: TTL, originHost: 'mfa.example.com', fraudReply: true });
    expect(u).toMatch(new RegExp(`^${CODE} est votre code[^\\n]*\\.\\nPas vous \\? Répondez FRAUDE\\n\\n@mfa\\.example\\.com #${CODE}$`));
  });
});
