/**
 * The demo relying party checks what a relying party must: it accepts our token with the echoed
 * wctx, and refuses a token changed by one character, a token for another audience, and a wctx
 * that is not the one it sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBrowser } from '../../support/http-client.js';
import { signIn, startWsFed, type PostedForm, type WsFedHost } from './support.js';

let h: WsFedHost;

beforeAll(async () => {
  h = await startWsFed({ demoRelyingParty: true });
});
afterAll(async () => {
  await h.close();
});

async function tokenForDemo(): Promise<{ b: TestBrowser; form: PostedForm }> {
  const b = new TestBrowser(h.url);
  const start = await b.get('/wsfed/demo-rp/login');
  expect(start.status).toBe(303);
  const to = new URL(start.headers.get('location')!);
  const { form } = await signIn(h, b, to.pathname + to.search);
  expect(form.action).toBe(`${h.url}/wsfed/demo-rp/signin`);
  return { b, form };
}

describe('demo WS-Federation relying party', () => {
  it('accepts the token and shows the claims', async () => {
    const { b, form } = await tokenForDemo();
    const res = await b.post('/wsfed/demo-rp/signin', form.fields);
    const html = await res.text();
    expect(res.status, html).toBe(200);
    expect(html).toContain('<dd id="name-id">alice</dd>');
  });

  it('refuses a changed token, a token for another realm, and a wctx it did not send', async () => {
    const { b, form } = await tokenForDemo();
    const tampered = await b.post('/wsfed/demo-rp/signin', { ...form.fields, wresult: form.fields.wresult!.replace('>alice<', '>alicf<') });
    expect(tampered.status).toBe(400);
    expect(await tampered.text()).toContain('does not verify');
    const otherAudience = await b.post('/wsfed/demo-rp/signin', { ...form.fields, wresult: form.fields.wresult!.replace(/(<saml:Audience>)[^<]+/, '$1urn:other') });
    expect(otherAudience.status).toBe(400);
    const wrongContext = await b.post('/wsfed/demo-rp/signin', { ...form.fields, wctx: `${form.fields.wctx}x` });
    expect(wrongContext.status).toBe(400);
    expect(await wrongContext.text()).toContain('wctx is not the one');
  });
});
