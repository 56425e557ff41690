// Shared by the bench's preloaded per-route recorders (route-cpu.mjs, route-windows.mjs): the
// route of each request, the hooks on its start and its response's finish
// (node:diagnostics_channel), and the SIGUSR2 switch: the first signal starts recording, the
// second stops it and writes the recorder's result to `file` in the server's working directory,
// whole then renamed (the bench polls for the file and must never read half of it). Each recorder
// keeps only what it records. Meaningful with one request in flight at a time. Bench only.
import dc from 'node:diagnostics_channel';
import { renameSync, writeFileSync } from 'node:fs';

/** `/mfa/3f9c…` → `/mfa/:id`: long opaque path segments are ids; the query string is dropped. */
export function routeOf(method, url) {
  const path = (url ?? '').split('?')[0].replace(/\/[A-Za-z0-9_-]{16,}(?=\/|$)/g, '/:id');
  return `${method} ${path}`;
}

/**
 * Records every request between two SIGUSR2s: `begin()` at its start (what it returns is kept
 * for the request), `end(route, begun)` at its response's finish; `reset()` when recording
 * starts, `result()` (JSON-serialisable) written to `file` when it stops.
 */
export function recordRoutes(file, { begin, end, reset, result }) {
  const started = new WeakMap();
  let recording = false;
  dc.subscribe('http.server.request.start', ({ request, response }) => {
    if (recording) started.set(response, [routeOf(request.method, request.url), begin()]);
  });
  dc.subscribe('http.server.response.finish', ({ response }) => {
    const s = started.get(response);
    if (!s) return;
    started.delete(response);
    end(s[0], s[1]);
  });
  process.on('SIGUSR2', () => {
    if (!recording) {
      reset();
      recording = true;
      return;
    }
    recording = false;
    writeFileSync(`${file}.part`, JSON.stringify(result()));
    renameSync(`${file}.part`, file);
  });
}
