/**
 * What this adapter keeps in the host session (`session.data['saml-idp']`): the SessionIndex
 * we issued (SAML Core §2.7.2: one per session, random, not the session id) and the relying
 * parties that received an assertion in it, which single logout must tell (Profiles §4.4).
 */
import type { HostSession } from '../../src/sdk/adapter.js';
import { newSamlId } from '../../src/sdk/adapter.js';

export const ADAPTER_NAME = 'saml-idp';

/** Where the host mounts the IdP's routes. */
export const MOUNT_PATH = '/saml/idp';

export interface Participant {
  rp: string;
  nameId: string;
  nameIdFormat: string;
}

export interface IdpSessionData {
  sessionIndex: string;
  participants: Participant[];
}

function isData(v: unknown): v is IdpSessionData {
  return typeof v === 'object' && v !== null && typeof (v as IdpSessionData).sessionIndex === 'string' && Array.isArray((v as IdpSessionData).participants);
}

export function idpData(session: HostSession): IdpSessionData {
  const current = session.data[ADAPTER_NAME];
  if (isData(current)) return current;
  const fresh: IdpSessionData = { sessionIndex: newSamlId(), participants: [] };
  session.data[ADAPTER_NAME] = fresh;
  return fresh;
}

export function peekIdpData(session: HostSession): IdpSessionData | null {
  const current = session.data[ADAPTER_NAME];
  return isData(current) ? current : null;
}

export function addParticipant(data: IdpSessionData, p: Participant): void {
  if (!data.participants.some((q) => q.rp === p.rp && q.nameId === p.nameId)) data.participants.push(p);
}
