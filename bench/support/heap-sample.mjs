// Preloaded into the bench's `factorgate start` by `bench/profile-sso.ts --alloc FILE`
// (`node --import <this file>`): the first SIGUSR2 starts V8's sampling heap profiler, counting
// objects later collected by minor and major GCs too (so it shows what a request allocates, not
// only what survives); the second stops it and writes the profile, with the number of requests
// the server began in between (`http.server.request.start`), as JSON to FG_HEAP_SAMPLE_OUT
// (written to FG_HEAP_SAMPLE_OUT.tmp and renamed, so the bench never reads half a file).
// Bench only.
import { subscribe } from 'node:diagnostics_channel';
import { renameSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const out = process.env.FG_HEAP_SAMPLE_OUT;
let requests = 0;
subscribe('http.server.request.start', () => {
  requests++;
});
const session = new Session();
session.connect();
let startedAt = -1;
process.on('SIGUSR2', () => {
  if (startedAt < 0) {
    startedAt = requests;
    session.post('HeapProfiler.startSampling', { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    return;
  }
  const count = requests - startedAt;
  session.post('HeapProfiler.stopSampling', (err, r) => {
    if (err || !out) return;
    writeFileSync(`${out}.tmp`, JSON.stringify({ requests: count, profile: r.profile }));
    renameSync(`${out}.tmp`, out);
  });
});
