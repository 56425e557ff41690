/**
 * What this adapter keeps in the host session (`session.data['ws-fed']`): the realms that
 * received a token in it, so sign-out can send each one `wsignoutcleanup1.0` (WS-Federation 1.2
 * §13.2.4), as AD FS does.
 */
import type { HostSession } from '../../src/sdk/adapter.js';

export const ADAPTER_NAME = 'ws-fed';

/** Where the host mounts the adapter's routes. */
export const MOUNT_PATH = '/wsfed';

export interface WsFedSessionData {
  /** Realm names, in the order they were signed in to. */
  realms: string[];
}

function isData(v: unknown): v is WsFedSessionData {
  return typeof v === 'object' && v !== null && Array.isArray((v as WsFedSessionData).realms) && (v as WsFedSessionData).realms.every((r) => typeof r === 'string');
}

export function signedInRealms(session: HostSession): string[] {
  const data = session.data[ADAPTER_NAME];
  return isData(data) ? [...data.realms] : [];
}

export function addRealm(session: HostSession, realm: string): void {
  const realms = signedInRealms(session);
  if (!realms.includes(realm)) realms.push(realm);
  session.data[ADAPTER_NAME] = { realms } satisfies WsFedSessionData;
}
