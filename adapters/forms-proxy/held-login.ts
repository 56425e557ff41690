/**
 * What factorgate holds while the challenge runs: in `upstream` mode the app's successful
 * login reply (status, headers, body), in `directory` mode the user's original login request.
 * Serialised as JSON and envelope-encrypted at rest (the body may hold a password or a
 * session ticket).
 */
export interface HeldReply {
  kind: 'reply';
  status: number;
  /** Header name/value pairs in order (Set-Cookie may repeat). */
  headers: [string, string][];
  bodyBase64: string;
}

export interface HeldRequest {
  kind: 'request';
  method: string;
  url: string;
  headers: [string, string][];
  bodyBase64: string;
}

export type HeldLogin = HeldReply | HeldRequest;

export function headerPairs(headers: Record<string, string | string[] | number | undefined>): [string, string][] {
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    for (const item of Array.isArray(v) ? v : [String(v)]) out.push([k, item]);
  }
  return out;
}

export function encodeHeld(held: HeldLogin): string {
  return JSON.stringify(held);
}

export function decodeHeld(json: string): HeldLogin {
  const v = JSON.parse(json) as HeldLogin;
  if (v.kind !== 'reply' && v.kind !== 'request') throw new Error('not a held login');
  return v;
}
