/**
 * Reading the audit trail page by page (the admin API's audit query, the console's per-user
 * history): filters on the record's fields, newest first, keyset paging on (ts, id) so a deep
 * page costs what the first one does. The cursor is opaque to callers (base64url of "ts:id").
 */
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { foldUsername } from '../directory/directory.js';
import { FactorgateError } from '../kit/errors.js';

export interface AuditFilter {
  /** Epoch ms, inclusive. */
  since?: number | undefined;
  /** Epoch ms, exclusive. */
  until?: number | undefined;
  username?: string | undefined;
  event?: string | undefined;
  result?: string | undefined;
  method?: string | undefined;
  adapter?: string | undefined;
  relyingParty?: string | undefined;
  denyReason?: string | undefined;
}

export interface AuditRecordView {
  id: string;
  ts: string;
  event: string;
  username: string | null;
  givenName: string | null;
  surname: string | null;
  email: string | null;
  phone: string | null;
  deviceToken: string | null;
  method: string | null;
  result: string;
  denyReason: string | null;
  serverName: string;
  serverIp: string | null;
  clientIp: string | null;
  adapter: string | null;
  relyingParty: string | null;
  detail: string | null;
}

export interface AuditPage {
  records: AuditRecordView[];
  next: string | null;
}

export const MAX_AUDIT_PAGE = 500;

export function encodeAuditCursor(ts: number, id: string): string {
  return Buffer.from(`${ts}:${id}`).toString('base64url');
}

function decodeCursor(cursor: string): { ts: number; id: string } {
  const m = /^(\d{1,16}):([\w-]{1,64})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw new FactorgateError('BAD_REQUEST', { detail: 'cursor: not one this server gave out', publicDetail: 'cursor: not one this server gave out' });
  return { ts: Number(m[1]), id: m[2]! };
}

export async function queryAudit(db: Kysely<Database>, filter: AuditFilter, page: { limit: number; cursor?: string | undefined }): Promise<AuditPage> {
  const limit = Math.min(Math.max(1, Math.trunc(page.limit)), MAX_AUDIT_PAGE);
  let q = db.selectFrom('audit_events').selectAll();
  if (filter.since !== undefined) q = q.where('ts', '>=', filter.since);
  if (filter.until !== undefined) q = q.where('ts', '<', filter.until);
  if (filter.username !== undefined) q = q.where('username', '=', foldUsername(filter.username));
  if (filter.event !== undefined) q = q.where('event', '=', filter.event);
  if (filter.result !== undefined) q = q.where('result', '=', filter.result);
  if (filter.method !== undefined) q = q.where('method', '=', filter.method);
  if (filter.adapter !== undefined) q = q.where('adapter', '=', filter.adapter);
  if (filter.relyingParty !== undefined) q = q.where('relying_party', '=', filter.relyingParty);
  if (filter.denyReason !== undefined) q = q.where('deny_reason', '=', filter.denyReason);
  if (page.cursor !== undefined) {
    const c = decodeCursor(page.cursor);
    q = q.where((eb) => eb.or([eb('ts', '<', c.ts), eb.and([eb('ts', '=', c.ts), eb('id', '<', c.id)])]));
  }
  const rows = await q.orderBy('ts', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
  const shown = rows.slice(0, limit);
  const last = shown[shown.length - 1];
  return {
    records: shown.map((r) => ({
      id: r.id,
      ts: new Date(Number(r.ts)).toISOString(),
      event: r.event,
      username: r.username,
      givenName: r.given_name,
      surname: r.surname,
      email: r.email,
      phone: r.phone,
      deviceToken: r.device_token,
      method: r.method,
      result: r.result,
      denyReason: r.deny_reason,
      serverName: r.server_name,
      serverIp: r.server_ip,
      clientIp: r.client_ip,
      adapter: r.adapter,
      relyingParty: r.relying_party,
      detail: r.detail,
    })),
    next: rows.length > limit && last ? encodeAuditCursor(Number(last.ts), last.id) : null,
  };
}
