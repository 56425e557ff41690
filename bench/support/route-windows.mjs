// Preloaded into the server by bench/profile-signin.ts (`node --import <this file>`): the monotonic
// time (µs, the clock V8 stamps `--cpu-prof` profiles with) of each request's start and of its
// response's finish, with its route, so a profile can be cut to one route's requests. The first
// SIGUSR2 starts recording; the second writes [[route, fromUs, toUs], …] to route-windows.json in
// the server's working directory. Meaningful with one request in flight at a time. Bench only.
import dc from 'node:diagnostics_channel';
import { renameSync, writeFileSync } from 'node:fs';

const started = new WeakMap();
const windows = [];
let recording = false;
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

/** `/mfa/3f9c…` → `/mfa/:id`: long opaque path segments are ids; the query string is dropped. */
function routeOf(method, url) {
  const path = (url ?? '').split('?')[0].replace(/\/[A-Za-z0-9_-]{16,}(?=\/|$)/g, '/:id');
  return `${method} ${path}`;
}

dc.subscribe('http.server.request.start', ({ request, response }) => {
  if (recording) started.set(response, [routeOf(request.method, request.url), nowUs()]);
});
dc.subscribe('http.server.response.finish', ({ response }) => {
  const s = started.get(response);
  if (!s) return;
  started.delete(response);
  windows.push([s[0], s[1], nowUs()]);
});

process.on('SIGUSR2', () => {
  if (!recording) {
    windows.length = 0;
    recording = true;
    return;
  }
  recording = false;
  writeFileSync('route-windows.json.part', JSON.stringify(windows));
  renameSync('route-windows.json.part', 'route-windows.json');
});
