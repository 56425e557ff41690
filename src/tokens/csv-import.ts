import { decodeBase32 } from '../otp/index.js';
import { parseCsv } from './csv-parse.js';
import { DEFAULT_MIN_SECRET_BYTES, type ImportedToken, type ImportProblem, type ImportResult } from './token.js';

/**
 * Two CSV layouts for hardware TOTP tokens:
 * - Microsoft Entra ("upn,serial number,secret key,time interval,manufacturer,model"), the
 *   header required, secrets in Base32;
 * - the older MFA Server style: serial, secret, optional interval (and optionally
 *   manufacturer and model), with or without a header.
 * Both describe 6-digit HMAC-SHA-1 TOTP tokens, the only kind those systems took.
 */

export type CsvTokenFormat = 'entra' | 'mfa-server';

export interface CsvImportOptions {
  /** Default: recognised from the first row. */
  format?: CsvTokenFormat;
  /** How secrets are written. Default 'base32'; some MFA Server exports use hex. */
  secretEncoding?: 'base32' | 'hex';
  /** Refuse shorter secrets (RFC 4226 §4 R6). Default 16 bytes. */
  minSecretBytes?: number;
  /** The interval when a row leaves it empty. Default 30 seconds. */
  defaultPeriod?: number;
  /** Refuse larger files before parsing. Default 16 MiB. */
  maxBytes?: number;
}

type Column = 'upn' | 'serial' | 'secret' | 'interval' | 'manufacturer' | 'model';

const ENTRA_HEADER: readonly Column[] = ['upn', 'serial', 'secret', 'interval', 'manufacturer', 'model'];
const MFA_SERVER_COLUMNS: readonly Column[] = ['serial', 'secret', 'interval', 'manufacturer', 'model'];

const HEADER_NAMES: Record<string, Column> = {
  upn: 'upn',
  'user principal name': 'upn',
  serial: 'serial',
  'serial number': 'serial',
  'serial no': 'serial',
  serialnumber: 'serial',
  secret: 'secret',
  'secret key': 'secret',
  secretkey: 'secret',
  seed: 'secret',
  interval: 'interval',
  'time interval': 'interval',
  timeinterval: 'interval',
  period: 'interval',
  manufacturer: 'manufacturer',
  model: 'model',
};

/**
 * Entra accepts only 30 and 60 second tokens; other systems are not so limited, but a period
 * outside this range is almost certainly a column in the wrong place.
 */
const MIN_PERIOD = 10;
const MAX_PERIOD = 300;

export function importCsvTokens(input: string | Buffer, options: CsvImportOptions = {}): ImportResult {
  const problems: ImportProblem[] = [];
  const maxBytes = options.maxBytes ?? 16 * 1024 * 1024;
  const size = typeof input === 'string' ? Buffer.byteLength(input) : input.length;
  if (size > maxBytes) {
    return { tokens: [], problems: [{ code: 'TOO_LARGE', message: `the file is ${size} bytes; the limit is ${maxBytes}` }] };
  }
  let text: string;
  try {
    text = typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: true }).decode(input);
  } catch {
    return { tokens: [], problems: [{ code: 'CSV_SYNTAX', message: 'the file is not valid UTF-8; save it as CSV UTF-8' }] };
  }

  const { records, errors } = parseCsv(text);
  for (const e of errors) problems.push({ code: 'CSV_SYNTAX', line: e.line, message: e.message });
  if (records.length === 0) {
    if (errors.length === 0) problems.push({ code: 'EMPTY_FILE', message: 'the file has no rows' });
    return { tokens: [], problems };
  }

  const layout = detectLayout(records[0]!.fields, options.format);
  if ('problem' in layout) {
    problems.push({ ...layout.problem, line: records[0]!.line });
    return { tokens: [], problems };
  }
  const rows = layout.hasHeader ? records.slice(1) : records;
  if (rows.length === 0 && errors.length === 0) {
    problems.push({ code: 'EMPTY_FILE', message: 'the file has a header but no tokens' });
  }

  const tokens: ImportedToken[] = [];
  const seen = new Map<string, number>();
  const minSecretBytes = options.minSecretBytes ?? DEFAULT_MIN_SECRET_BYTES;
  const defaultPeriod = options.defaultPeriod ?? 30;

  for (const { line, fields } of rows) {
    const cell = (column: Column): string | undefined => {
      const index = layout.columns.indexOf(column);
      return index === -1 ? undefined : fields[index]?.trim();
    };
    const rowProblem = (code: ImportProblem['code'], message: string, serial?: string) =>
      problems.push({ code, line, message, ...(serial ? { serial } : {}) });

    if (fields.length < layout.required) {
      rowProblem(
        'MISSING_COLUMNS',
        `the row has ${fields.length} column${fields.length === 1 ? '' : 's'}; ${layout.name} rows need at least ${layout.required} (${layout.columns.slice(0, layout.required).join(', ')})`,
      );
      continue;
    }
    const serial = cell('serial') ?? '';
    if (serial === '') {
      rowProblem('MISSING_SERIAL', 'the serial number is empty');
      continue;
    }

    const secretText = cell('secret') ?? '';
    let secret: Buffer;
    if (options.secretEncoding === 'hex') {
      const compact = secretText.replace(/\s/g, '');
      if (compact === '' || !/^(?:[0-9a-fA-F]{2})+$/.test(compact)) {
        rowProblem('BAD_SECRET', 'the secret key is not an even number of hexadecimal digits', serial);
        continue;
      }
      secret = Buffer.from(compact, 'hex');
    } else {
      const decoded = decodeBase32(secretText);
      if (!decoded.ok) {
        rowProblem('BAD_BASE32', `the secret key is not valid Base32: ${decoded.message}`, serial);
        continue;
      }
      secret = decoded.bytes;
    }
    if (secret.length < minSecretBytes) {
      rowProblem(
        'SECRET_TOO_SHORT',
        `the secret is ${secret.length * 8} bits; at least ${minSecretBytes * 8} are required (RFC 4226 §4)`,
        serial,
      );
      continue;
    }

    const intervalText = cell('interval') ?? '';
    let period = defaultPeriod;
    if (intervalText !== '') {
      if (!/^[0-9]+$/.test(intervalText)) {
        rowProblem('BAD_TIME_STEP', `the time interval ${JSON.stringify(intervalText)} is not a whole number of seconds`, serial);
        continue;
      }
      period = Number(intervalText);
      if (period < MIN_PERIOD || period > MAX_PERIOD) {
        rowProblem('BAD_TIME_STEP', `the time interval ${period} s is outside ${MIN_PERIOD}–${MAX_PERIOD} s`, serial);
        continue;
      }
    }

    const firstLine = seen.get(serial);
    if (firstLine !== undefined) {
      rowProblem('DUPLICATE_SERIAL', `serial ${serial} already appears on line ${firstLine}`, serial);
      continue;
    }
    seen.set(serial, line);

    const token: ImportedToken = {
      serial,
      secret,
      kind: 'totp',
      algorithm: 'SHA1',
      digits: 6,
      period,
      counter: 0n,
    };
    const upn = cell('upn');
    const manufacturer = cell('manufacturer');
    const model = cell('model');
    if (upn) token.userId = upn;
    if (manufacturer) token.manufacturer = manufacturer;
    if (model) token.model = model;
    tokens.push(token);
  }
  return { tokens, problems };
}

interface Layout {
  name: string;
  hasHeader: boolean;
  columns: readonly Column[];
  /** Columns a row must have: the rest may be missing at the end of a row. */
  required: number;
}

function detectLayout(first: string[], format: CsvTokenFormat | undefined): Layout | { problem: ImportProblem } {
  const names = first.map((f) => f.trim().toLowerCase().replace(/[\s_]+/g, ' '));
  const mapped = names.map((n) => HEADER_NAMES[n]);
  const looksLikeHeader = mapped.some((c) => c === 'serial' || c === 'secret' || c === 'upn');

  if (looksLikeHeader) {
    const unknown = names.filter((_, i) => mapped[i] === undefined && names[i] !== '');
    if (unknown.length > 0) {
      return {
        problem: {
          code: 'UNKNOWN_HEADER',
          message: `unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => JSON.stringify(u)).join(', ')}; expected ${ENTRA_HEADER_TEXT} or serial, secret, interval`,
        },
      };
    }
    const columns = mapped as Column[];
    // A `upn` column is what only Entra's layout has: such a file must carry every Entra column,
    // else a missing "time interval" would silently become the default 30 s step.
    if (columns.includes('upn')) {
      const missing = ENTRA_HEADER.filter((c) => !columns.includes(c));
      if (missing.length > 0) {
        return {
          problem: {
            code: 'MISSING_COLUMNS',
            message: `the header names upn, so this is an Entra file, but it lacks the column${missing.length > 1 ? 's' : ''} ${missing.map((c) => JSON.stringify(ENTRA_COLUMN_NAMES[c])).join(', ')}; an Entra file starts with the header ${ENTRA_HEADER_TEXT}`,
          },
        };
      }
    }
    const isEntra = ENTRA_HEADER.every((c, i) => columns[i] === c) && columns.length === ENTRA_HEADER.length;
    if (format === 'entra' && !isEntra) {
      return { problem: { code: 'UNKNOWN_HEADER', message: `an Entra file starts with the header ${ENTRA_HEADER_TEXT}` } };
    }
    for (const needed of ['serial', 'secret'] as const) {
      if (!columns.includes(needed)) {
        return { problem: { code: 'MISSING_COLUMNS', message: `the header has no ${needed} column` } };
      }
    }
    const last = Math.max(columns.indexOf('serial'), columns.indexOf('secret'));
    return isEntra
      ? { name: 'Entra', hasHeader: true, columns, required: 4 }
      : { name: 'MFA Server', hasHeader: true, columns, required: last + 1 };
  }

  if (format === 'entra') {
    return { problem: { code: 'UNKNOWN_HEADER', message: `an Entra file starts with the header ${ENTRA_HEADER_TEXT}` } };
  }
  return { name: 'MFA Server', hasHeader: false, columns: MFA_SERVER_COLUMNS, required: 2 };
}

/** The Entra header's own names for each column, to name a missing one as the file would. */
const ENTRA_COLUMN_NAMES: Record<Column, string> = {
  upn: 'upn',
  serial: 'serial number',
  secret: 'secret key',
  interval: 'time interval',
  manufacturer: 'manufacturer',
  model: 'model',
};

const ENTRA_HEADER_TEXT = '"upn,serial number,secret key,time interval,manufacturer,model"';
