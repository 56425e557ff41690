import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FactorgateError } from '../../src/kit/errors.js';
import { resolveLocale } from '../../src/delivery/locale.js';
import { loadTemplates, type EnrolledVars } from '../../src/delivery/templates.js';

const NASTY = '<script>alert(1)</script> & "x"';
const tmpDirs: string[] = [];
afterEach(() => {
  for (const d of tmpDirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function overrideDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'fg-templates-'));
  tmpDirs.push(dir);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

const enrolled: Record<EnrolledVars['method'], EnrolledVars> = {
  totp: { method: 'totp', displayName: NASTY, portalUrl: 'https://mfa.example.com/enroll?u=1&t=2' },
  sms: { method: 'sms', displayName: NASTY, phone: '+33612345678' },
  voice: { method: 'voice', displayName: NASTY, phone: '+12025550143' },
  pin: { method: 'pin', displayName: NASTY, pin: '731904' },
  app: { method: 'app', displayName: NASTY },
  token: { method: 'token', displayName: NASTY },
};

describe('built-in templates', () => {
  const templates = loadTemplates();

  for (const locale of ['en', 'fr'] as const) {
    for (const [method, vars] of Object.entries(enrolled)) {
      it(`renders enrolled/${method} in ${locale} with the display name escaped in HTML only`, () => {
        const m = templates.render('enrolled', locale, vars);
        expect(m.subject.length).toBeGreaterThan(5);
        expect(m.subject).not.toMatch(/[\r\n]/);
        expect(m.text).toContain(`${locale === 'fr' ? 'Bonjour' : 'Hello'} ${NASTY},`);
        expect(m.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;');
        expect(m.html).not.toContain('<script>');
        expect(m.html).toContain(`<html lang="${locale}">`);
        expect(m.html).toContain('factorgate');
      });
    }

    it(`puts each method's own content in the ${locale} enrolment mails`, () => {
      const totp = templates.render('enrolled', locale, enrolled.totp);
      expect(totp.text).toContain('https://mfa.example.com/enroll?u=1&t=2');
      // Handlebars escapes "=" too (as &#x3D;); a browser decodes the attribute back to the URL.
      expect(totp.html).toContain('href="https://mfa.example.com/enroll?u&#x3D;1&amp;t&#x3D;2"');

      const sms = templates.render('enrolled', locale, enrolled.sms);
      expect(sms.text).toContain('+33 6 •• •• •• 78');
      expect(sms.text).not.toContain('+33612345678');
      expect(sms.html).toContain('+33 6 •• •• •• 78');

      const voice = templates.render('enrolled', locale, enrolled.voice);
      expect(voice.text).toContain('+1 2•• ••• ••43');

      const pin = templates.render('enrolled', locale, enrolled.pin);
      expect(pin.text).toContain('731904');
      expect(pin.html).toContain('731904');
      expect(pin.subject).not.toContain('731904');

      // A hardware token or an app already registered: nothing to install or register.
      for (const m of [templates.render('enrolled', locale, enrolled.token), templates.render('enrolled', locale, enrolled.app)]) {
        expect(m.text).not.toMatch(/Google Authenticator|Register an|Enregistrez une/);
      }
      expect(templates.render('enrolled', locale, enrolled.token).text).toMatch(locale === 'fr' ? /jeton matériel/ : /hardware token/);
    });

    it(`renders the ${locale} code mail with the lifetime in minutes and no code in the subject`, () => {
      const m = templates.render('code', locale, { displayName: 'Zoë', code: '402913', ttlSeconds: 600 });
      expect(m.text).toContain('402913');
      expect(m.html).toContain('402913');
      expect(m.text).toContain('10 minutes');
      expect(m.subject).not.toContain('402913');
    });
  }

  it('speaks French in French', () => {
    expect(templates.render('code', 'fr', { displayName: 'A', code: '1', ttlSeconds: 300 }).text).toMatch(/^Bonjour A,/);
  });

  it('does not crash on a variable the data lacks', () => {
    const m = templates.render('enrolled', 'en', { method: 'totp', displayName: undefined as unknown as string, portalUrl: 'https://x' });
    expect(m.text).toMatch(/^Hello ,/);
  });

  it('uses the product name when given', () => {
    const m = templates.render('enrolled', 'en', { ...enrolled.pin, productName: 'Acme MFA' });
    expect(m.subject).toBe('Your Acme MFA PIN');
  });
});

describe('override folder', () => {
  it('replaces a built-in file by the same name and keeps the others', () => {
    const dir = overrideDir({
      'fr/code.subject.hbs': 'Code pour {{displayName}}\r\nBcc: evil@example.com',
      'en/code.text.hbs': 'Custom {{code}} {{unknownVariable}} {{#if missing}}never{{/if}}end',
      'en/layout.html.hbs': '<main>{{{body}}}</main><footer>{{productName}}</footer>',
    });
    const t = loadTemplates({ templatesDir: dir });
    const fr = t.render('code', 'fr', { displayName: 'Zoë', code: '111', ttlSeconds: 300 });
    // The injected line break is folded: no header can be smuggled into the subject.
    expect(fr.subject).toBe('Code pour Zoë Bcc: evil@example.com');
    expect(fr.text).toMatch(/^Bonjour Zoë,/);

    const en = t.render('code', 'en', { displayName: NASTY, code: '222', ttlSeconds: 300 });
    expect(en.text).toBe('Custom 222  end');
    expect(en.html).toMatch(/^<main><p>Hello &lt;script&gt;/);
    expect(en.html).toMatch(/<footer>factorgate<\/footer>$/);
  });

  it('reports every unknown file and every template that does not parse', () => {
    const dir = overrideDir({
      'en/enroled-sms.text.hbs': 'typo',
      'de/code.text.hbs': 'no German yet',
      'fr/code.html.hbs': '{{#if x}}unclosed',
    });
    let err: unknown;
    try {
      loadTemplates({ templatesDir: dir });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FactorgateError);
    const detail = (err as FactorgateError).detail!;
    expect((err as FactorgateError).code).toBe('CONFIG_INVALID');
    expect(detail).toContain('en/enroled-sms.text.hbs: unknown template');
    expect(detail).toContain('de: expected only the folders en, fr');
    expect(detail).toContain('fr/code.html.hbs');
  });

  it('reports a missing folder', () => {
    expect(() => loadTemplates({ templatesDir: '/nonexistent/templates' })).toThrow(/cannot read \/nonexistent\/templates/);
  });
});

describe('resolveLocale', () => {
  it.each([
    ['fr-CA', 'fr'],
    ['FR', 'fr'],
    ['en_GB', 'en'],
    ['de-DE', 'en'],
    [undefined, 'en'],
  ])('%s → %s', (tag, locale) => {
    expect(resolveLocale(tag)).toBe(locale);
  });
});
