/**
 * The console's reports page (/admin/reports) on a real host: the chart is well-formed SVG with
 * its title and description, the table under it holds the counts computed here from the audit
 * rows this test wrote, the CSV link gives exactly the table's rows, bad input is a 400, and a
 * name in the data cannot inject markup into the page or the chart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/kit/clock.js';
import { parseXmlSafely } from '../../../src/xml/index.js';
import { reportChartSvg } from '../../../src/admin/reports/report-chart.js';
import { startHost, type RunningHost } from '../../support/host-harness.js';
import { Browser } from '../../challenge/harness.js';
import type { Store } from '../../../src/store/store.js';
import { CONSOLE_ROLES, CONSOLE_USERS, consoleUser, signInToConsole, storeOf } from './console-support.js';

const clock = new ManualClock(Date.UTC(2026, 10, 20, 9, 0, 0));
let h: RunningHost;
let store: Store;
const hd = new Browser('');

type Planned = [event: string, result: 'success' | 'failure' | 'denied', day: number, rp: string, reason: string | null];
const DAY0 = Date.UTC(2026, 10, 2);
const PLAN: Planned[] = [
  ['second-factor', 'success', 0, 'crm', null],
  ['second-factor', 'success', 0, 'crm', null],
  ['second-factor', 'failure', 0, 'mail', 'BAD_CODE'],
  ['primary', 'failure', 1, 'crm', 'BAD_PASSWORD'],
  ['challenge', 'denied', 1, '<b>evil</b> & co', 'LOCKED'],
  ['bypass-used', 'success', 3, 'mail', null],
  ['admin-action', 'success', 3, 'crm', null],
];

beforeAll(async () => {
  h = await startHost({ clock, users: CONSOLE_USERS, config: { admin: { roles: CONSOLE_ROLES } } });
  store = await storeOf(h);
  hd.base = h.url;
  clock.advance(30_000);
  await signInToConsole(hd, clock, consoleUser('hd'));
  let n = 0;
  for (const [event, result, d, rp, reason] of PLAN) {
    await store.db
      .insertInto('audit_events')
      .values({ id: `plan-${n}`, ts: DAY0 + d * 86_400_000 + 3_600_000 * ++n, event, user_id: null, username: 'bob', given_name: null, surname: null, email: null, phone: null, device_token: null, method: 'totp', result, deny_reason: reason, server_name: 't', server_ip: null, client_ip: null, adapter: 'saml-idp', relying_party: rp, challenge_id: null, detail: null })
      .execute();
  }
}, 60_000);

afterAll(async () => {
  await store?.close();
  await h?.close();
});

const WINDOW = 'since=2026-11-01&until=2026-11-15';

function tableRows(body: string): string[][] {
  const table = /<table class="list" id="report-table">([\s\S]*?)<\/table>/.exec(body)![1]!;
  return [...table.matchAll(/<tr><th scope="row">(.*?)<\/th><td>(\d+)<\/td><td>(\d+)<\/td><td>(\d+)<\/td><td>(\d+)<\/td><\/tr>/g)].map((m) => m.slice(1));
}

describe('the reports page', () => {
  it('draws sign-ins by day as well-formed SVG over a table of the counts from the audit rows', async () => {
    const page = await hd.get(`/admin/reports?report=sign-ins&by=day&${WINDOW}`);
    expect(page.status).toBe(200);
    const svg = /<svg[\s\S]*?<\/svg>/.exec(page.body)![0];
    const parsed = parseXmlSafely(svg);
    expect(parsed.ok).toBe(true);
    expect(svg).toMatch(/role="img" aria-labelledby="report-chart-title report-chart-desc"/);
    expect(svg).toContain('<title id="report-chart-title">Sign-ins (day, 2026-11-01 to 2026-11-15)</title>');
    const signIns = PLAN.filter((p) => p[0] !== 'admin-action');
    const days = [...new Set(signIns.map((p) => p[2]))].sort();
    const expected = days.map((d) => {
      const those = signIns.filter((p) => p[2] === d);
      const count = (r: string) => String(those.filter((p) => p[1] === r).length);
      return [new Date(DAY0 + d * 86_400_000).toISOString().slice(0, 10), count('success'), count('failure'), count('denied'), String(those.length)];
    });
    expect(tableRows(page.body)).toEqual(expected);
    // One stacked segment per non-zero count, each with its exact count in its title.
    expect([...svg.matchAll(/<rect [^>]*><title>/g)]).toHaveLength(expected.flatMap((r) => r.slice(1, 4)).filter((c) => c !== '0').length);
    expect(svg).toContain('<title>2026-11-02: 2 Success</title>');
  });

  it('offers the same filter as CSV, with exactly the rows of the table', async () => {
    const page = await hd.get(`/admin/reports?report=sign-ins&by=relying-party&${WINDOW}`);
    const link = /<a id="report-csv" href="([^"]+)"/.exec(page.body)![1]!.replace(/&amp;/g, '&');
    expect(link).toBe(`/admin/reports/csv?report=sign-ins&by=relying-party&since=2026-11-01&until=2026-11-15`);
    const csv = await hd.get(link);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const lines = csv.body.trimEnd().split('\r\n');
    expect(lines[0]).toBe('relying-party,success,failure,denied,total');
    const unescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
    expect(lines.slice(1)).toEqual(tableRows(page.body).map((r) => [unescape(r[0]!), ...r.slice(1)].join(',')));
  });

  it('escapes names from the data in the table and the chart', async () => {
    const page = await hd.get(`/admin/reports?report=lockouts&by=relying-party&${WINDOW}`);
    expect(page.body).not.toContain('<b>evil</b>');
    expect(page.body).toContain('&lt;b&gt;evil&lt;/b&gt; &amp; co');
    expect(parseXmlSafely(/<svg[\s\S]*?<\/svg>/.exec(page.body)![0]).ok).toBe(true);
  });

  it('answers bad input with 400, and an empty window with a notice', async () => {
    expect((await hd.get('/admin/reports?report=colours')).status).toBe(400);
    expect((await hd.get('/admin/reports?since=yesterday')).status).toBe(400);
    expect((await hd.get('/admin/reports?since=2026-11-10&until=2026-11-01')).status).toBe(400);
    expect((await hd.get('/admin/reports?since=2025-01-01&until=2026-11-01')).status).toBe(400);
    const empty = await hd.get('/admin/reports?since=2026-10-01&until=2026-10-02');
    expect(empty.body).toContain('id="no-rows"');
  });

  it('is behind the console sign-in', async () => {
    const anonymous = new Browser(h.url);
    expect((await anonymous.get('/admin/reports')).status).toBe(303);
    expect((await anonymous.get('/admin/reports/csv')).status).toBe(303);
  });
});

describe('reportChartSvg', () => {
  it('is well-formed for every shape: no rows, one row, hundreds of hourly rows, a ranked top', () => {
    const series = { success: 'ok', failure: 'ko', denied: 'no' };
    const hours = Array.from({ length: 720 }, (_, i) => ({ key: `2026-11-${String(1 + Math.floor(i / 24)).padStart(2, '0')}T${String(i % 24).padStart(2, '0')}:00Z`, success: i % 7, failure: i % 3, denied: i % 2, total: (i % 7) + (i % 3) + (i % 2) }));
    for (const [rows, ranked] of [[[], false], [[{ key: 'x', success: 1, failure: 0, denied: 0, total: 1 }], true], [hours, false], [hours, true]] as const) {
      const svg = reportChartSvg(rows, { id: 'c', title: 'T', description: 'D', series, ranked }).value;
      expect(parseXmlSafely(svg).ok, `${rows.length} ${ranked}`).toBe(true);
      expect([...svg.matchAll(/<g><rect|<g>(?=<\/g>)/g)].length).toBe(ranked ? Math.min(rows.length, 40) : rows.length);
    }
  });
});
