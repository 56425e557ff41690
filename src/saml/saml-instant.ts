// SAML time values, strictly.

/*
 * SAML Core §1.3.3: time values are xs:dateTime "expressed in UTC form, with no time zone
 * component" (a trailing Z). Anything else is refused rather than guessed at.
 */
const SAML_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?Z$/;

/** Milliseconds since the epoch, or undefined when `value` is not a SAML UTC instant. */
export function parseInstant(value: string): number | undefined {
  const m = SAML_INSTANT.exec(value);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s, frac] = m;
  const ms = frac === undefined ? 0 : Math.floor(Number(`0${frac}`) * 1000);
  const t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  // Date.UTC rolls 2026-02-31 over into March; a real instant survives the round trip.
  const back = new Date(t);
  if (back.getUTCDate() !== Number(d) || back.getUTCHours() !== Number(h) || back.getUTCMinutes() !== Number(mi)) return undefined;
  return t;
}

