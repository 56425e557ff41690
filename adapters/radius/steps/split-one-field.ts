import type { Step } from '../exchange.js';

/** A code is 6 to 8 digits (TOTP, OATH tokens, sent codes) or a backup code's letters and digits. */
const CODE_SHAPE = /^(\d{6,8}|[a-z0-9]{8,12})$/i;

/**
 * For clients that cannot show a challenge: `password<separator>code` in User-Password. The
 * code is what follows the last separator (a password may contain the separator; a code never
 * does), and only when it has a code's shape: otherwise the whole field is the password.
 */
export const splitOneField: Step = async (x) => {
  const { oneField, separator } = x.client.config;
  if (!oneField) return 'next';
  const at = x.password.lastIndexOf(separator);
  if (at <= 0) return 'next';
  const code = x.password.slice(at + 1).trim();
  if (!CODE_SHAPE.test(code)) return 'next';
  x.oneFieldCode = code;
  x.password = x.password.slice(0, at);
  return 'next';
};
