/**
 * The bridge's two moments. `begin` (a primary provider): a relying party's sign-in is recorded
 * as an outstanding AuthnRequest and the browser goes to the upstream IdP. `acs`: the upstream's
 * Response is checked (src/saml/verify-response: pinned keys, one signed assertion, audience,
 * recipient, destination, issuer, window, InResponseTo consumed once, assertion id never seen
 * before on any host); the user it names is found; then the challenge begins for the adapter
 * that asked, carrying the upstream subject and attributes, or is passed when the upstream
 * already did multi-factor and this upstream is trusted for it.
 *
 * Every refusal is one audit record with the reason, a log line with the detail, and a neutral
 * page; nothing of the challenge is begun before the Response has passed every check.
 */
import type { Request, Response } from 'express';
import type { HostServices, PrimaryBeginInput, UserRecord } from '../../src/sdk/adapter.js';
import { newSamlId } from '../../src/sdk/adapter.js';
import { verifyUpstreamResponse } from '../../src/sdk/adapter.js';
import { authnRequestUrl } from './authn-request.js';
import { externalIdentity, lookupValue } from './map-identity.js';
import { ADAPTER_NAME } from './names.js';
import type { OutstandingRequests, OutstandingRequest } from './outstanding-requests.js';
import type { Upstream } from './upstream.js';

const UPSTREAM_MFA_METHOD = 'upstream-mfa';

export interface BridgeDeps {
  host: HostServices;
  upstreams: ReadonlyMap<string, Upstream>;
  requests: OutstandingRequests;
  entityId: string;
  acsUrl: string;
  signingKeyPem: string;
  maxResponseBytes: number;
}

interface Refusal {
  reason: string;
  detail: string;
  request?: OutstandingRequest | null;
  username?: string | undefined;
  status?: number;
}

export class BridgeFlow {
  constructor(private readonly deps: BridgeDeps) {}

  /** The primary provider `upstream:<name>`: records the request, answers the upstream's URL. */
  async begin(upstream: Upstream, input: PrimaryBeginInput): Promise<string> {
    const { host } = this.deps;
    const target = upstream.resolve();
    const id = newSamlId();
    await this.deps.requests.add(input.req, input.res, id, upstream.name, {
      adapter: input.adapter,
      continuation: input.continuation ?? null,
      relyingParty: input.relyingParty ?? null,
      enrolmentPolicy: input.enrolmentPolicy ?? null,
      ...(input.stepUp ? { stepUp: true } : {}),
    });
    host.logger.info({ adapter: ADAPTER_NAME, upstream: upstream.name, requestId: id, relyingParty: input.relyingParty }, 'sending the user to the upstream IdP');
    return authnRequestUrl({
      id,
      ssoUrl: target.ssoUrl,
      issuer: this.deps.entityId,
      acsUrl: this.deps.acsUrl,
      // Our request id doubles as RelayState: it tells the ACS which upstream must have answered.
      relayState: id,
      upstreamCertificates: target.certificates,
      signingKeyPem: this.deps.signingKeyPem,
      nameIdFormat: upstream.nameIdFormat,
      forceAuthn: input.forceAuthn === true,
    });
  }

  async refuse(req: Request, res: Response, r: Refusal): Promise<void> {
    const { host } = this.deps;
    host.logger.warn({ adapter: ADAPTER_NAME, reason: r.reason, detail: r.detail, upstream: r.request?.upstream, requestId: r.request?.id }, 'upstream SAML response refused');
    await host.audit.record({
      event: 'upstream-response',
      result: 'denied',
      username: r.username,
      method: 'saml',
      denyReason: r.reason,
      adapter: ADAPTER_NAME,
      relyingParty: r.request?.payload.relyingParty ?? undefined,
      clientIp: req.ip,
      detail: r.request ? `upstream ${r.request.upstream}: ${r.detail}` : r.detail,
    });
    host.pages.error(req, res, r.status ?? 403, 'error.SAML_RESPONSE_INVALID');
  }

  /** POST /saml/bridge/acs (fields SAMLResponse, RelayState). */
  async acs(req: Request, res: Response): Promise<void> {
    const { host } = this.deps;
    const body = (req.body ?? {}) as Record<string, unknown>;
    const samlResponse = body.SAMLResponse;
    const relayState = body.RelayState;
    if (typeof samlResponse !== 'string' || samlResponse === '') {
      return this.refuse(req, res, { reason: 'NO_RESPONSE', detail: 'no SAMLResponse field', status: 400 });
    }
    const request = typeof relayState === 'string' ? await this.deps.requests.peek(req, relayState) : null;
    if (!request) {
      // Unsolicited (IdP-initiated) responses are refused: there is no relying party to answer.
      return this.refuse(req, res, { reason: 'UNKNOWN_REQUEST', detail: typeof relayState === 'string' ? 'RelayState names no outstanding request (unknown, used or expired)' : 'no RelayState' });
    }
    if (!request.sameBrowser) {
      // A Response for a sign-in started in another browser (login CSRF, a forwarded link).
      return this.refuse(req, res, { reason: 'OTHER_BROWSER', detail: 'the request was started in another browser', request });
    }
    const upstream = this.deps.upstreams.get(request.upstream);
    if (!upstream) return this.refuse(req, res, { reason: 'UNKNOWN_UPSTREAM', detail: `upstream ${request.upstream} is no longer configured`, request });
    const target = upstream.resolve();
    const result = await verifyUpstreamResponse(
      samlResponse,
      {
        pinnedCertificates: target.certificates,
        issuer: target.entityId,
        audience: this.deps.entityId,
        acsUrl: this.deps.acsUrl,
        expectedRequestId: request.id,
        consumeRequestId: (id) => id === request.id && this.deps.requests.consume(id),
        clockSkewMs: upstream.skewMs,
        maxBytes: this.deps.maxResponseBytes,
      },
      // The bridge's own replay scope (ids accepted before this change were kept under the same key).
      { clock: host.clock, replay: host.replay, replayScope: ADAPTER_NAME },
    );
    if (!result.ok) return this.refuse(req, res, { reason: result.reason, detail: result.detail, request });

    const key = lookupValue(result, upstream.config.lookup);
    if (key === null) return this.refuse(req, res, { reason: 'NO_LOOKUP_VALUE', detail: `the assertion has no single ${upstream.config.lookup.from}`, request });
    const user = await this.#findUser(upstream.config.lookup.field, key);
    if (!user) return this.refuse(req, res, { reason: 'UNKNOWN_USER', detail: `no single user with ${upstream.config.lookup.field} ${JSON.stringify(key.slice(0, 120))}`, request, username: key });
    if (user.disabled) return this.refuse(req, res, { reason: 'USER_DISABLED', detail: `user ${user.id} is disabled`, request, username: key });

    const identity = externalIdentity(upstream.providerName, result, upstream.config);
    await host.audit.record({
      event: 'primary',
      result: 'success',
      user,
      method: 'saml',
      adapter: ADAPTER_NAME,
      relyingParty: request.payload.relyingParty ?? undefined,
      clientIp: req.ip,
      detail: `upstream ${upstream.name} (${result.issuer}) assertion ${result.assertionId}, context ${result.authnContextClassRefs.join(' ') || '(none)'}, certificate ${result.pinnedCertificateIndex}`,
    });
    const input = {
      user,
      adapter: request.payload.adapter,
      continuation: request.payload.continuation,
      relyingParty: request.payload.relyingParty ?? undefined,
      enrolmentPolicy: upstream.config.enrolmentPolicy ?? request.payload.enrolmentPolicy ?? undefined,
      stepUp: request.payload.stepUp === true,
      identity,
      req,
      res,
    };
    if (upstream.config.trustUpstreamMfa && identity.upstreamMultiFactor) {
      await host.challenges.pass({ ...input, methods: [UPSTREAM_MFA_METHOD], detail: `upstream ${upstream.name} asserted ${identity.authnContextClassRefs.join(' ')}; trustUpstreamMfa` });
      return;
    }
    const began = await host.challenges.begin(input);
    res.redirect(303, began.redirectTo);
  }

  /**
   * The one factorgate user the upstream names: from the store, else looked up in the directory.
   * A stored user is refreshed from the directory at every sign-in, as a password sign-in at
   * /login refreshes them: the groups policy rules match, the disabled flag, the password's
   * change time. Without it a bridge user's groups would stay those of their first look-up. A
   * directory that cannot be reached leaves the stored record (logged): the upstream has
   * authenticated the user, and the record is no older than it was before this change.
   */
  async #findUser(field: 'upn' | 'email' | 'username', value: string): Promise<UserRecord | null> {
    const { host } = this.deps;
    const known = await host.users.findOneBy(field, value);
    if (known) return this.#refreshed(known);
    const found = await host.directory.find(value);
    if (!found) return null;
    const got = field === 'username' ? found.username : found[field];
    if (got === undefined || got.toLowerCase() !== value.toLowerCase()) return null;
    return host.users.upsertFromDirectory(found, host.directory.kind);
  }

  async #refreshed(known: UserRecord): Promise<UserRecord> {
    const { host } = this.deps;
    try {
      const found = await host.directory.find(known.username);
      return found ? await host.users.upsertFromDirectory(found, host.directory.kind) : known;
    } catch (err) {
      host.logger.warn({ adapter: ADAPTER_NAME, userId: known.id, err }, 'directory unreachable: the stored user record is used (groups as of an earlier sign-in)');
      return known;
    }
  }
}
