/**
 * Helpers for the delivered-code tests: a real host (`startHost`) whose SMS/voice provider is
 * the http or twilio provider pointed at a local recording server, and a browser that signs in
 * at /login and works the challenge page through its forms (no JavaScript).
 */
import { expect } from 'vitest';
import { Browser, field, type Page } from '../../challenge/harness.js';
import { startRecorder, type Recorder, type RecordedRequest, type Reply } from '../../delivery/support/recording-server.js';

export { Browser, field, startRecorder, type Page, type Recorder, type RecordedRequest };

export const SMS_TEMPLATE = '{"to":"{{to}}","code":"{{code}}","message":"{{message}}","mode":"{{mode}}","callbackUrl":"{{callbackUrl}}"}';

/** An http-provider section pointed at a recorder, without retries (a refusal is final at once). */
export function httpProvider(rec: Recorder, path = '/send', extra: Record<string, unknown> = {}) {
  return { type: 'http', url: `${rec.url}${path}`, bodyTemplate: SMS_TEMPLATE, retries: 0, timeoutMs: 2000, ...extra };
}

export function accepting(): (req: RecordedRequest, i: number) => Reply {
  return (_req, i) => ({ status: 200, body: JSON.stringify({ id: `msg-${i + 1}` }) });
}

/** The password step at /login; answers the challenge path. */
export async function signIn(b: Browser, username = 'alice', password = `${username}-password-1`): Promise<string> {
  const form = await b.get('/login');
  const r = await b.post('/login', { _csrf: field(form.body, '_csrf'), username, password });
  expect(r.status, r.body).toBe(303);
  const path = r.headers.get('location')!;
  expect(path).toMatch(/^\/mfa\/[A-Za-z0-9_-]{43}$/);
  return path;
}

/** The factor id of the method a page's "Use …" button switches to, by its visible label. */
export function methodId(body: string, label: string): string {
  const re = new RegExp(`name="method" value="([^"]+)"><button type="submit" class="link">Use ${label}`);
  const m = re.exec(body);
  if (!m) throw new Error(`no "Use ${label}" on page`);
  return m[1]!;
}

/**
 * Whether this GET of the page already tried to send: the user's only method sends at first
 * sight, and only such a GET carries a notice (a sent code, or why none was sent).
 */
export function sentAtFirstSight(page: Page): boolean {
  return page.body.includes('id="notice"');
}

/**
 * Presses the page's "Send me a code" / "Send a new code" button for the shown method. When the
 * method is the user's only one, the first GET of the page already sent: that page is answered
 * (pass a page only from a GET).
 */
export async function pressSend(b: Browser, path: string, page?: Page): Promise<Page> {
  const p = page ?? (await b.get(path));
  if (sentAtFirstSight(p)) return p;
  return b.post(path, { _csrf: field(p.body, '_csrf'), method: field(p.body, 'method'), send: '1' });
}

/** Switches to another method with its "Use …" button (looking at a method never sends). */
export async function switchTo(b: Browser, path: string, label: string): Promise<Page> {
  const p = await b.get(path);
  return b.post(path, { _csrf: field(p.body, '_csrf'), method: methodId(p.body, label) });
}

export async function submitCode(b: Browser, path: string, code: string, extra: Record<string, string> = {}): Promise<Page> {
  const p = await b.get(path);
  return b.post(path, { _csrf: field(p.body, '_csrf'), method: field(p.body, 'method'), code, ...extra });
}

/** The code a JSON-template gateway request carried. */
export function codeOf(req: RecordedRequest): string {
  return (JSON.parse(req.body) as { code: string }).code;
}
