/**
 * Every refusal at /wsfed: an error page with a 4xx, never a redirect or a token, a log line
 * naming the reason and an audit record. Open redirects through wreply (foreign host, lookalike
 * prefix, another scheme, user-info tricks) are refused before any login is offered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBrowser } from '../../support/http-client.js';
import { signIn, signInPath, startWsFed, type WsFedHost } from './support.js';

const REALM = 'urn:app:payroll';
const REPLY = 'https://payroll.example.test/signin';
let h: WsFedHost;

beforeAll(async () => {
  h = await startWsFed({ realms: [{ name: 'Payroll', realm: REALM, replyUrls: [REPLY] }], maxContextBytes: 1024 });
});
afterAll(async () => {
  await h.close();
});

async function refused(path: string, status: number, reason: string): Promise<string> {
  const b = new TestBrowser(h.url);
  const before = h.logs.length;
  const res = await b.get(path);
  const html = await res.text();
  expect(res.status, html.slice(0, 300)).toBe(status);
  expect(res.headers.get('location')).toBeNull();
  expect(html).not.toContain('wresult');
  expect(html).not.toMatch(/at \w+ \(|node_modules/);
  expect(h.logs.slice(before).some((l) => l.includes('WS-Federation request refused') && l.includes(`"reason":"${reason}"`))).toBe(true);
  const audit = await h.auditRows();
  expect(audit.some((r) => r.event === 'wsfed-request' && r.result === 'denied' && r.deny_reason === reason)).toBe(true);
  return html;
}

describe('WS-Federation refusals', () => {
  it('refuses an unknown realm, saying which', async () => {
    const html = await refused(signInPath({ wtrealm: 'urn:app:unknown' }), 400, 'UNKNOWN_REALM');
    expect(html).toContain('not known to this server');
    expect(html).toContain('urn:app:unknown');
  });

  it('refuses a sign-in without a realm, without an action, or with an action it does not serve', async () => {
    await refused('/wsfed?wa=wsignin1.0', 400, 'MISSING_REALM');
    await refused(`/wsfed?wtrealm=${encodeURIComponent(REALM)}`, 400, 'UNSUPPORTED_ACTION');
    await refused(`/wsfed?wa=wattr1.0&wtrealm=${encodeURIComponent(REALM)}`, 400, 'UNSUPPORTED_ACTION');
  });

  for (const [label, wreply] of [
    ['another host', 'https://evil.example/signin'],
    ['a lookalike prefix', 'https://payroll.example.test/signin.evil.example'],
    ['a longer path', 'https://payroll.example.test/signin/../../evil'],
    ['plain http', 'http://payroll.example.test/signin'],
    ['user-info', 'https://payroll.example.test@evil.example/signin'],
    ['javascript:', 'javascript:alert(1)'],
    ['a relative URL', '//evil.example/signin'],
  ] as const) {
    it(`refuses a wreply to ${label} (open redirect)`, async () => {
      const html = await refused(signInPath({ wtrealm: REALM, wreply }), 400, 'FOREIGN_REPLY');
      expect(html).toContain('not registered for this realm');
    });
  }

  it('refuses a foreign wreply even for a signed-in user, and posts nothing', async () => {
    const b = new TestBrowser(h.url);
    await signIn(h, b, signInPath({ wtrealm: REALM }));
    const res = await b.get(signInPath({ wtrealm: REALM, wreply: 'https://evil.example/' }));
    expect(res.status).toBe(400);
    expect(await res.text()).not.toContain('wresult');
  });

  it('refuses an oversized query before decoding it (413), and a wctx over the limit (400)', async () => {
    await refused(signInPath({ wtrealm: REALM, wctx: 'é'.repeat(2000) }), 413, 'TOO_LARGE');
    await refused(signInPath({ wtrealm: REALM, wctx: 'é'.repeat(600) }), 400, 'CONTEXT_TOO_LONG');
    // Past Node's header limit the request never reaches us; the server answers and stays up.
    const res = await new TestBrowser(h.url).get(signInPath({ wtrealm: REALM, wctx: 'x'.repeat(20_000) }));
    expect(res.status).toBe(431);
    expect((await new TestBrowser(h.url).get('/healthz')).status).toBe(200);
  });

  it('refuses garbage: broken percent-encoding, control characters, a repeated parameter, a wfresh that is not minutes', async () => {
    await refused(`/wsfed?wa=wsignin1.0&wtrealm=${encodeURIComponent(REALM)}&wctx=%E0%A4%A`, 400, 'BAD_ENCODING');
    await refused(`/wsfed?wa=wsignin1.0&wtrealm=${encodeURIComponent(REALM)}&wctx=a%00b`, 400, 'BAD_ENCODING');
    await refused(`/wsfed?wa=wsignin1.0&wtrealm=${encodeURIComponent(REALM)}&wtrealm=urn:app:other`, 400, 'DUPLICATE_PARAMETER');
    await refused(signInPath({ wtrealm: REALM, wfresh: '-1' }), 400, 'BAD_FRESHNESS');
    await refused(signInPath({ wtrealm: REALM, wfresh: '1e9' }), 400, 'BAD_FRESHNESS');
  });

  it('a finished challenge answers once (its page, in the same browser or another, gives no token); a forged resume link is refused', async () => {
    const c = new TestBrowser(h.url);
    const { visited, form } = await signIn(h, c, signInPath({ wtrealm: REALM }));
    expect(form.fields.wresult).toBeDefined();
    // The token came in the reply to the challenge POST itself: no resume link in between.
    expect(visited.some((v) => v.startsWith('/wsfed/resume'))).toBe(false);
    const challenge = visited.find((v) => v.startsWith('/mfa/'));
    expect(challenge).toBeDefined();
    for (const browser of [c, new TestBrowser(h.url)]) {
      const res = await browser.get(challenge!);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(await res.text()).not.toContain('wresult');
    }
    await refused('/wsfed/resume?c=not-a-key', 404, 'NO_SESSION');
    await refused(`/wsfed/resume?c=${'A'.repeat(32)}`, 409, 'REPLAYED');
  });
});
