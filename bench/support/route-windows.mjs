// Preloaded into the server by bench/profile-signin.ts (`node --import <this file>`): the monotonic
// time (µs, the clock V8 stamps `--cpu-prof` profiles with) of each request's start and of its
// response's finish, with its route, so a profile can be cut to one route's requests. The first
// SIGUSR2 starts recording; the second writes [[route, fromUs, toUs], …] to route-windows.json in
// the server's working directory (hooks and switch: route-hooks.mjs). Meaningful with one request
// in flight at a time. Bench only.
import { recordRoutes } from './route-hooks.mjs';

const windows = [];
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

recordRoutes('route-windows.json', {
  begin: nowUs,
  end: (route, fromUs) => windows.push([route, fromUs, nowUs()]),
  reset: () => {
    windows.length = 0;
  },
  result: () => windows,
});
