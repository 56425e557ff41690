/**
 * The structured logger (pino). Redaction is the last line of defence: code never logs a
 * password, an OTP, a secret or a SAML message on purpose; `redact.ts` catches, at any depth,
 * the cases where a whole object (a request, a form body, a config section, an error carrying
 * its options) is logged by mistake.
 */
import pino, { type Logger, type DestinationStream } from 'pino';
import { REDACTED, SENSITIVE_QUERY_NAMES, redactRecord, redactText } from './redact.js';

export { REDACTED };

const SENSITIVE_QUERY = new RegExp(`^(${SENSITIVE_QUERY_NAMES.join('|')})$`, 'i');

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
  const logger = pino(
    {
      name: options.name ?? 'factorgate',
      level: options.level ?? 'info',
      // Every record is redacted at any depth (see redact.ts); errors are serialised there too,
      // so the err serializer only passes the result through.
      formatters: { log: redactRecord, bindings: redactRecord },
      serializers: { err: (err: unknown) => err },
      // The message text too: a URL with credentials interpolated into it loses them.
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => (typeof a === 'string' ? redactText(a) : a)) as Parameters<typeof method>);
        },
      },
    },
    options.destination ?? pino.destination({ sync: false }),
  );
  // pino applies the bindings formatter to the root's bindings only; a child's bindings
  // (`logger.child({ req })`) are redacted here. Children inherit this property, so
  // grandchildren too.
  const pinoChild = logger.child;
  const redactingChild = function (this: Logger, bindings: Record<string, unknown>, childOptions?: object) {
    return pinoChild.call(this, redactRecord(bindings), childOptions);
  };
  logger.child = redactingChild as Logger['child'];
  return logger;
}
