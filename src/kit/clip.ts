/** Shortening what a peer sent before it reaches a page or a log line. */

/**
 * A value taken from a peer's message, made safe to show or log: control characters become `?`
 * and a long value is cut at `max` characters with an ellipsis; a missing one reads `(none)`.
 */
export function clip(value: string | null | undefined, max = 120): string {
  if (value === null || value === undefined) return '(none)';
  // eslint-disable-next-line no-control-regex -- control characters are what must not reach a page or log line
  const clean = value.replace(/[\x00-\x1f\x7f]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}
