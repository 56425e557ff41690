/**
 * Shared set-up of the bridge attack suites: the upstream IdP's key, a stranger's key and a
 * rollover key (openssl CLI), a manual clock, an in-memory replay cache and the outstanding
 * request ids, and `verify` with the expectations every test starts from.
 */
import { ManualClock, type Clock } from '../../../../src/kit/clock.js';
import type { ReplayCache } from '../../../../src/api/host-api.js';
import {
  verifyUpstreamResponse,
  type UpstreamExpectations,
  type UpstreamResult,
} from '../../../../src/saml/verify-response.js';
import { makeTestKeys, type TestKeys } from '../../support/test-keys.js';
import { ACS_URL, IDP_ENTITY_ID, REQUEST_ID, SP_ENTITY_ID } from './upstream-response.js';

/** 2026-03-02T10:00:00Z: the instant every response is built around. */
export const NOW = Date.UTC(2026, 2, 2, 10, 0, 0);

export class MemoryReplayCache implements ReplayCache {
  readonly entries = new Map<string, number>();
  constructor(private readonly clock: Clock) {}
  markUsed(scope: string, id: string, expiresAt: number): Promise<boolean> {
    const key = `${scope}\n${id}`;
    const until = this.entries.get(key);
    if (until !== undefined && until > this.clock.now()) return Promise.resolve(false);
    this.entries.set(key, expiresAt);
    return Promise.resolve(true);
  }
}

/** The AuthnRequest ids we "sent"; each can be consumed once. */
export class OutstandingRequests {
  readonly ids = new Set<string>();
  readonly consumed: string[] = [];
  add(id: string): void {
    this.ids.add(id);
  }
  consume = (id: string): boolean => {
    this.consumed.push(id);
    return this.ids.delete(id);
  };
}

export interface BridgeFixture {
  upstream: TestKeys;
  stranger: TestKeys;
  rollover: TestKeys;
  clock: ManualClock;
  replay: MemoryReplayCache;
  requests: OutstandingRequests;
  expectations(overrides?: Partial<UpstreamExpectations>): UpstreamExpectations;
  verify(xmlOrBase64: string, overrides?: Partial<UpstreamExpectations>): Promise<UpstreamResult>;
  reset(): void;
  cleanup(): void;
}

export function bridgeFixture(): BridgeFixture {
  const upstream = makeTestKeys('upstream');
  const stranger = makeTestKeys('upstream');
  const rollover = makeTestKeys('upstream-next');
  const clock = new ManualClock(NOW);
  const fixture: BridgeFixture = {
    upstream,
    stranger,
    rollover,
    clock,
    replay: new MemoryReplayCache(clock),
    requests: new OutstandingRequests(),
    expectations(overrides = {}) {
      return {
        pinnedCertificates: [upstream.certPem],
        issuer: IDP_ENTITY_ID,
        audience: SP_ENTITY_ID,
        acsUrl: ACS_URL,
        consumeRequestId: fixture.requests.consume,
        clockSkewMs: 30_000,
        ...overrides,
      };
    },
    verify(xmlOrBase64, overrides = {}) {
      return verifyUpstreamResponse(xmlOrBase64, fixture.expectations(overrides), { clock: fixture.clock, replay: fixture.replay });
    },
    reset() {
      clock.set(NOW);
      fixture.replay = new MemoryReplayCache(clock);
      fixture.requests = new OutstandingRequests();
      fixture.requests.add(REQUEST_ID);
    },
    cleanup() {
      upstream.cleanup();
      stranger.cleanup();
      rollover.cleanup();
    },
  };
  fixture.reset();
  return fixture;
}
