import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { sendAutoPostForm } from '../../src/http/auto-post-form.js';

/** GETs /post?to=URL from an app that answers with the auto-post form to that destination. */
async function postPages(destinations: string[], relayState: string): Promise<{ csp: string | undefined; body: string }[]> {
  const app = express();
  app.get('/post', (req, res) => {
    sendAutoPostForm(res, { formId: 'f', action: String(req.query.to), fields: { SAMLResponse: 'PHNhbWw+', RelayState: relayState, Absent: undefined }, scriptUrl: '/s.js', title: 'Signing you in…', button: 'Continue' });
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  try {
    const { port } = server.address() as AddressInfo;
    const pages = [];
    for (const to of destinations) {
      pages.push(
        await new Promise<{ csp: string | undefined; body: string }>((resolve, reject) => {
          request({ host: '127.0.0.1', port, path: `/post?to=${encodeURIComponent(to)}` }, (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => (body += c));
            res.on('end', () => resolve({ csp: res.headers['content-security-policy'] as string | undefined, body }));
          })
            .on('error', reject)
            .end();
        }),
      );
    }
    return pages;
  } finally {
    server.close();
  }
}

describe('the auto-posting form page', () => {
  it("lets the form post only to each destination's own origin, however many destinations answer in turn", async () => {
    const pages = await postPages(['https://a.example.test/acs', 'https://b.example.test:8443/sso/acs', 'https://a.example.test/acs?x=1'], 'r');
    expect(pages.map((p) => /form-action ([^;]+);/.exec(p.csp ?? '')?.[1])).toEqual(['https://a.example.test', 'https://b.example.test:8443', 'https://a.example.test']);
    for (const p of pages) expect(p.csp).toBe(`default-src 'none'; script-src 'self'; style-src 'self'; form-action ${/form-action ([^;]+);/.exec(p.csp!)![1]}; base-uri 'none'; frame-ancestors 'none'`);
    expect(pages[1]!.body).toContain('action="https://b.example.test:8443/sso/acs"');
  });

  it('escapes every value and leaves out an absent field', async () => {
    const [page] = await postPages(['https://a.example.test/acs'], `"><script>alert(1)</script>&'`);
    expect(page!.body).toContain('name="RelayState" value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&amp;&#39;"');
    expect(page!.body).not.toContain('<script>alert');
    expect(page!.body).not.toContain('Absent');
    expect(page!.body).toContain('<input type="hidden" name="SAMLResponse" value="PHNhbWw+">');
  });
});
