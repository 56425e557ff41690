// Preloaded into the bench's `factorgate start` (`node --import <this file>`) when the full-signin
// scenario runs with BENCH_ROUTE_CPU=1: the server's own CPU (`process.cpuUsage()`, user + system)
// from each request's start to its response's finish, summed per route. The first SIGUSR2 starts
// recording; the second writes { "<METHOD> <path>": { count, cpuMs } } to route-cpu.json in the
// server's working directory and stops (hooks and switch: route-hooks.mjs). Meaningful with one
// request in flight at a time (the scenario's split phase): with several, each request's interval
// would include the others' work. Bench only.
import { recordRoutes } from './route-hooks.mjs';

const totals = new Map();

recordRoutes('route-cpu.json', {
  begin: () => process.cpuUsage(),
  end(route, at) {
    const d = process.cpuUsage(at);
    const t = totals.get(route) ?? { count: 0, cpuMs: 0 };
    t.count++;
    t.cpuMs += (d.user + d.system) / 1000;
    totals.set(route, t);
  },
  reset: () => totals.clear(),
  result: () => Object.fromEntries(totals),
});
