/** `'30s'`, `'15m'`, `'8h'`, `'1d'` or milliseconds → milliseconds (the same units as factorgate's configuration). */
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export function maxAgeMs(value: string | number): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value <= 0) throw new TypeError(`factorgate/express: maxAge must be positive, got ${value}`);
    return value;
  }
  const m = /^(\d+)(s|m|h|d)$/.exec(value.trim());
  if (!m || Number(m[1]) === 0) throw new TypeError(`factorgate/express: maxAge must look like 30s, 15m, 8h or 1d, got ${JSON.stringify(value)}`);
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}
