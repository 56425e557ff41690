/**
 * The hardware-token stock as the admin API lists it (issue 18): every token or only the
 * assigned or unassigned ones, never a secret. Assigning, taking back and resynchronising are
 * user operations (UserAdmin), reasoned and audited there.
 */
import type { TokenRepository, TokenSummary } from '../tokens/token-repository.js';

export interface TokenView {
  serial: string;
  kind: 'hotp' | 'totp';
  digits: number;
  period: number;
  manufacturer: string | null;
  model: string | null;
  username: string | null;
  disabled: boolean;
  lastUsedAt: string | null;
}

function view(t: TokenSummary): TokenView {
  return {
    serial: t.serial,
    kind: t.kind,
    digits: t.digits,
    period: t.period,
    manufacturer: t.manufacturer,
    model: t.model,
    username: t.username,
    disabled: t.disabled,
    lastUsedAt: t.lastUsedAt === null ? null : new Date(Number(t.lastUsedAt)).toISOString(),
  };
}

export async function listTokenStock(tokens: Pick<TokenRepository, 'list'>, filter: { state?: 'assigned' | 'unassigned' | undefined; username?: string | undefined }): Promise<TokenView[]> {
  const all = await tokens.list(filter.username !== undefined ? { username: filter.username } : {});
  return all.filter((t) => filter.state === undefined || (filter.state === 'assigned') === (t.userId !== null)).map(view);
}
