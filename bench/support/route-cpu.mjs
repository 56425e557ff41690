// Preloaded into the bench's `factorgate start` (`node --import <this file>`) when the full-signin
// scenario runs with BENCH_ROUTE_CPU=1: the server's own CPU (`process.cpuUsage()`, user + system)
// from each request's start to its response's finish, summed per route. The first SIGUSR2 starts
// recording; the second writes { "<METHOD> <path>": { count, cpuMs } } to route-cpu.json in the
// server's working directory and stops. Meaningful with one request in flight at a time (the scenario's split phase): with several,
// each request's interval would include the others' work. Bench only.
import dc from 'node:diagnostics_channel';
import { renameSync, writeFileSync } from 'node:fs';

const started = new WeakMap();
const totals = new Map();
let recording = false;

/** `/mfa/3f9c…` → `/mfa/:id`: long opaque path segments are ids; the query string is dropped. */
function routeOf(method, url) {
  const path = (url ?? '').split('?')[0].replace(/\/[A-Za-z0-9_-]{16,}(?=\/|$)/g, '/:id');
  return `${method} ${path}`;
}

dc.subscribe('http.server.request.start', ({ request, response }) => {
  if (recording) started.set(response, { at: process.cpuUsage(), route: routeOf(request.method, request.url) });
});
dc.subscribe('http.server.response.finish', ({ response }) => {
  const s = started.get(response);
  if (!s) return;
  started.delete(response);
  const d = process.cpuUsage(s.at);
  const t = totals.get(s.route) ?? { count: 0, cpuMs: 0 };
  t.count++;
  t.cpuMs += (d.user + d.system) / 1000;
  totals.set(s.route, t);
});

process.on('SIGUSR2', () => {
  if (!recording) {
    totals.clear();
    recording = true;
    return;
  }
  recording = false;
  // Written whole, then renamed: the bench polls for the file and must never read half of it.
  writeFileSync('route-cpu.json.part', JSON.stringify(Object.fromEntries(totals)));
  renameSync('route-cpu.json.part', 'route-cpu.json');
});
