/**
 * An open-loop HTTP load generator for latency comparisons, run in its own process: requests
 * leave on a fixed schedule (`rate` per second in all), whether or not earlier ones have been
 * answered, so a slow reply does not slow the arrivals down (a closed loop such as autocannon's
 * `-R` would wait, and hide what the server added). The schedule's slots alternate between the
 * targets (slot k goes to target k mod n), so every target sees the same minutes of the shared
 * machine, and each target has its own kept-alive connections. Each request's latency is timed
 * from the moment the client issues it (`http.request`, so a wait for one of the target's kept
 * connections counts) to the end of its reply body, in microseconds (`process.hrtime`), so the
 * figure is not rounded to a millisecond; how late the client itself issued a slot is reported
 * apart (`maxSendLagUs`).
 *
 * Started by bench/forms-proxy.ts with one JSON argument (`OpenLoopRequest`); it prints one JSON
 * line (`OpenLoopReply`) and exits. Not a test: no thresholds.
 */
import { Agent, request } from 'node:http';

export interface OpenLoopRequest {
  /** Full URLs; slots alternate between them. */
  targets: string[];
  /** Requests per second, all targets together. */
  rate: number;
  /** Timed requests per target. */
  perTarget: number;
  /** Untimed requests per target sent first on the same schedule (JIT, connection pools). */
  warmPerTarget: number;
  headers?: Record<string, string>;
  /** Connections kept per target (more are never opened; a request waits for a free one). */
  connections?: number;
}

export interface OpenLoopReply {
  /** Per target, in `targets` order: each timed request's latency in µs, in send order. */
  latenciesUs: number[][];
  /** Replies other than 2xx, and transport errors, per target (timed and untimed). */
  non2xx: number[];
  errors: number[];
  /** How late the schedule ran: the largest gap between a timed slot's time and its send, µs. */
  maxSendLagUs: number;
  elapsedMs: number;
  /** This process's CPU over the run (user + system), ms. */
  cpuMs: number;
}

const REQUEST_TIMEOUT_MS = 10_000;

function now(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

export async function runOpenLoop(req: OpenLoopRequest): Promise<OpenLoopReply> {
  const n = req.targets.length;
  const agents = req.targets.map(() => new Agent({ keepAlive: true, maxSockets: req.connections ?? 8 }));
  const urls = req.targets.map((t) => new URL(t));
  const latenciesUs = req.targets.map(() => [] as number[]);
  const non2xx = req.targets.map(() => 0);
  const errors = req.targets.map(() => 0);
  const slots = (req.warmPerTarget + req.perTarget) * n;
  const timedFrom = req.warmPerTarget * n;
  const intervalUs = 1e6 / req.rate;
  let maxSendLagUs = 0;
  let outstanding = 0;
  let sent = 0;

  const send = (slot: number): void => {
    const t = slot % n;
    const u = urls[t]!;
    outstanding++;
    let settled = false;
    const settle = (): void => {
      if (!settled) outstanding--;
      settled = true;
    };
    const start = now();
    const r = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, agent: agents[t], headers: req.headers }, (res) => {
      if (res.statusCode === undefined || res.statusCode < 200 || res.statusCode > 299) non2xx[t]!++;
      res.on('data', () => undefined);
      res.on('end', () => {
        if (slot >= timedFrom && !settled) latenciesUs[t]!.push(now() - start);
        settle();
      });
      res.on('error', () => undefined);
      res.on('close', () => {
        if (!res.complete && !settled) fail();
      });
    });
    const fail = (): void => {
      if (!settled) errors[t]!++;
      settle();
    };
    r.on('error', fail);
    // A reply that never comes is a failed request, not a run that waits for ever.
    r.setTimeout(REQUEST_TIMEOUT_MS, () => r.destroy(new Error('timed out')));
    r.end();
  };

  const cpu0 = process.cpuUsage();
  const t0 = now();
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Math.min(slots, Math.floor((now() - t0) / intervalUs) + 1);
      while (sent < due) {
        if (sent >= timedFrom) maxSendLagUs = Math.max(maxSendLagUs, now() - (t0 + sent * intervalUs));
        send(sent++);
      }
      if (sent < slots) setTimeout(tick, Math.max(0, Math.floor((t0 + sent * intervalUs - now()) / 1000)));
      else {
        const drain = (): void => (outstanding === 0 ? resolve() : void setTimeout(drain, 5));
        drain();
      }
    };
    tick();
  });
  const elapsedMs = (now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  for (const a of agents) a.destroy();
  return { latenciesUs, non2xx, errors, maxSendLagUs, elapsedMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

if (process.argv[2] === '--run') {
  const reply = await runOpenLoop(JSON.parse(process.argv[3] ?? '{}') as OpenLoopRequest);
  process.stdout.write(`${JSON.stringify(reply)}\n`);
}
