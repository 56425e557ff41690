/**
 * The structured logger (pino). Redaction is the last line of defence: code never logs a
 * password, an OTP, a secret or a SAML message on purpose, and these paths catch the cases
 * where a whole object (a request, a form body, a config section) is logged by mistake.
 */
import pino, { type Logger, type DestinationStream } from 'pino';

export const REDACTED = '[redacted]';

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'body',
  'req.body',
  'password',
  'code',
  'pin',
  'secret',
  'token',
  'SAMLRequest',
  'SAMLResponse',
  '*.password',
  '*.bindPassword',
  '*.code',
  '*.pin',
  '*.secret',
  '*.key',
  '*.token',
  '*.authToken',
  '*.hmacSecret',
  '*.bearerToken',
  '*.SAMLRequest',
  '*.SAMLResponse',
  '*.continuation',
];

/** Query parameters whose values never reach the log (SAML messages, codes, tokens). */
const SENSITIVE_QUERY = /^(samlrequest|samlresponse|relaystate|signature|code|token|password|ticket|state)$/i;

/** Strips sensitive query values from a URL before it is logged. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const key = eq < 0 ? pair : pair.slice(0, eq);
      let name = key;
      try {
        name = decodeURIComponent(key);
      } catch {
        /* keep the raw key */
      }
      return SENSITIVE_QUERY.test(name) && eq >= 0 ? `${key}=${REDACTED}` : pair;
    });
  return `${url.slice(0, q)}?${params.join('&')}`;
}

export interface LoggerOptions {
  level?: string;
  destination?: DestinationStream;
  name?: string;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      name: options.name ?? 'factorgate',
      level: options.level ?? 'info',
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      serializers: { err: pino.stdSerializers.err },
    },
    options.destination ?? pino.destination({ sync: false }),
  );
}
