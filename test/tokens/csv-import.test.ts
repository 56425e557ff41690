import { describe, expect, it } from 'vitest';
import { encodeBase32, generateTotp } from '../../src/otp/index.js';
import { parseCsv } from '../../src/tokens/csv-parse.js';
import { importCsvTokens } from '../../src/tokens/csv-import.js';

const SEED = Buffer.from('12345678901234567890', 'ascii');
const SEED32 = encodeBase32(SEED); // GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
const OTHER32 = encodeBase32(Buffer.from('abcdefghijklmnopqrst', 'ascii'));
const ENTRA_HEADER = 'upn,serial number,secret key,time interval,manufacturer,model';

describe('parseCsv (RFC 4180)', () => {
  it('reads quoted fields holding commas, doubled quotes and line breaks, and the line each record starts on', () => {
    const { records, errors } = parseCsv('a,"b, c","say ""hi"""\r\n"multi\r\nline",x\r\nlast,row');
    expect(errors).toEqual([]);
    expect(records).toEqual([
      { line: 1, fields: ['a', 'b, c', 'say "hi"'] },
      { line: 2, fields: ['multi\r\nline', 'x'] },
      { line: 4, fields: ['last', 'row'] },
    ]);
  });

  it('drops a byte order mark, accepts LF and CR line ends, and skips blank rows', () => {
    const { records } = parseCsv('\uFEFFa,b\n\n,,\rc,d\n');
    expect(records).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 4, fields: ['c', 'd'] },
    ]);
  });

  it('keeps empty fields', () => {
    expect(parseCsv('a,,"",b').records[0]!.fields).toEqual(['a', '', '', 'b']);
  });

  it('refuses malformed quoting with the line, and goes on with the next row', () => {
    const { records, errors } = parseCsv('ok,1\nbad"quote,2\n"closed"junk,3\nok,4\n"never closed,5\nx');
    expect(records.map((r) => r.line)).toEqual([1, 4]);
    expect(errors).toEqual([
      { line: 2, message: expect.stringContaining('quote inside an unquoted field') },
      { line: 3, message: expect.stringContaining('text follows a closing quote') },
      { line: 5, message: expect.stringContaining('never closed') },
    ]);
  });
});

describe('importCsvTokens', () => {
  it('reads the Entra format', () => {
    const csv = `${ENTRA_HEADER}\r\nhelga@contoso.com,1234567,${SEED32},60,Contoso,HardwareKey\r\n,7654321,${OTHER32},30,Contoso,HardwareKey\r\n`;
    const { tokens, problems } = importCsvTokens(csv);
    expect(problems).toEqual([]);
    expect(tokens).toEqual([
      {
        serial: '1234567',
        secret: SEED,
        kind: 'totp',
        algorithm: 'SHA1',
        digits: 6,
        period: 60,
        counter: 0n,
        userId: 'helga@contoso.com',
        manufacturer: 'Contoso',
        model: 'HardwareKey',
      },
      expect.objectContaining({ serial: '7654321', period: 30 }),
    ]);
    expect(tokens[1]).not.toHaveProperty('userId');
  });

  it('produces tokens whose codes match the seed', () => {
    const { tokens } = importCsvTokens(`${ENTRA_HEADER}\nu@x,1,${SEED32},30,M,N`);
    // RFC 6238 Appendix B, SHA-1 at T=59, last six digits.
    expect(generateTotp(tokens[0]!.secret, 59_000, { period: tokens[0]!.period })).toBe('287082');
  });

  it('reads a UTF-8 Buffer with a byte order mark and CRLF line ends', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${ENTRA_HEADER}\r\nu@x,1,${SEED32},30,M,N\r\n`)]);
    const { tokens, problems } = importCsvTokens(bytes);
    expect(problems).toEqual([]);
    expect(tokens.map((t) => t.serial)).toEqual(['1']);
  });

  it('reads quoted fields with commas and quotes', () => {
    const csv = `${ENTRA_HEADER}\n"o'brien@x","SN,1","${SEED32}",30,"Acme, ""Inc.""",Model`;
    const { tokens, problems } = importCsvTokens(csv);
    expect(problems).toEqual([]);
    expect(tokens[0]).toMatchObject({ serial: 'SN,1', manufacturer: 'Acme, "Inc."', userId: "o'brien@x" });
  });

  it('reads the MFA Server style without a header, the interval optional', () => {
    const { tokens, problems } = importCsvTokens(`1001,${SEED32},60\n1002,${OTHER32}\n\n1003,${SEED32},\n`);
    expect(problems).toEqual([]);
    expect(tokens.map((t) => [t.serial, t.period])).toEqual([
      ['1001', 60],
      ['1002', 30],
      ['1003', 30],
    ]);
  });

  it('reads the MFA Server style with a header, columns in any order', () => {
    const { tokens, problems } = importCsvTokens(`Secret Key,Serial Number,Time Interval\n${SEED32},2001,60\n`);
    expect(problems).toEqual([]);
    expect(tokens[0]).toMatchObject({ serial: '2001', secret: SEED, period: 60 });
  });

  it('reads hex secrets when told to', () => {
    const { tokens, problems } = importCsvTokens(`3001,${SEED.toString('hex')},30`, { secretEncoding: 'hex' });
    expect(problems).toEqual([]);
    expect(tokens[0]!.secret).toEqual(SEED);
  });

  it('names a bad Base32 secret, with its line and serial', () => {
    const { tokens, problems } = importCsvTokens(`${ENTRA_HEADER}\nu@x,1,${SEED32},30,M,N\nu@y,2,GEZDGNB1GEZDGNBVGY3TQOJQGEZDGNBV,30,M,N`);
    expect(tokens.map((t) => t.serial)).toEqual(['1']);
    expect(problems).toEqual([
      { code: 'BAD_BASE32', line: 3, serial: '2', message: expect.stringContaining('"1" at position 8') },
    ]);
  });

  it('names a duplicate serial and where it first appeared', () => {
    const { tokens, problems } = importCsvTokens(`1,${SEED32}\n2,${OTHER32}\n1,${OTHER32}`);
    expect(tokens.map((t) => t.serial)).toEqual(['1', '2']);
    expect(problems).toEqual([{ code: 'DUPLICATE_SERIAL', line: 3, serial: '1', message: 'serial 1 already appears on line 1' }]);
  });

  it('names rows with missing columns and empty serials', () => {
    const { tokens, problems } = importCsvTokens(`${ENTRA_HEADER}\nu@x,1,${SEED32}\nu@y,,${SEED32},30,M,N`);
    expect(tokens).toEqual([]);
    expect(problems).toEqual([
      { code: 'MISSING_COLUMNS', line: 2, message: expect.stringContaining('the row has 3 columns; Entra rows need at least 4') },
      { code: 'MISSING_SERIAL', line: 3, message: 'the serial number is empty' },
    ]);
    expect(importCsvTokens(`only-a-serial\n`).problems).toMatchObject([{ code: 'MISSING_COLUMNS', line: 1 }]);
  });

  it('refuses short secrets unless relaxed (RFC 4226 §4 R6)', () => {
    const short = encodeBase32(Buffer.from('1234567890', 'ascii'));
    expect(importCsvTokens(`1,${short}`).problems).toMatchObject([
      { code: 'SECRET_TOO_SHORT', message: expect.stringContaining('80 bits') },
    ]);
    expect(importCsvTokens(`1,${short}`, { minSecretBytes: 10 }).tokens).toHaveLength(1);
  });

  it('refuses a non-numeric or implausible interval', () => {
    const { problems } = importCsvTokens(`1,${SEED32},30s\n2,${SEED32},3600`);
    expect(problems.map((p) => [p.code, p.line])).toEqual([
      ['BAD_TIME_STEP', 1],
      ['BAD_TIME_STEP', 2],
    ]);
  });

  it('refuses an unknown header naming the columns it did not recognise', () => {
    expect(importCsvTokens(`serial number,secret key,colour\n1,${SEED32},red`).problems).toEqual([
      { code: 'UNKNOWN_HEADER', line: 1, message: expect.stringContaining('"colour"') },
    ]);
  });

  it('refuses a upn header lacking an Entra column, naming line 1 and the column, instead of assuming a 30 s step', () => {
    const r = importCsvTokens(`upn,serial number,secret key,manufacturer,model\nhelga@contoso.com,1234567,${SEED32},Contoso,HardwareKey\n`);
    expect(r.tokens).toEqual([]);
    expect(r.problems).toEqual([{ code: 'MISSING_COLUMNS', line: 1, message: expect.stringContaining('lacks the column "time interval"') }]);
    const two = importCsvTokens(`UPN,Serial Number,Secret Key\nhelga@contoso.com,1234567,${SEED32}\n`);
    expect(two.problems).toEqual([{ code: 'MISSING_COLUMNS', line: 1, message: expect.stringContaining('lacks the columns "time interval", "manufacturer", "model"') }]);
    // Columns in another order are still read by name.
    const reordered = importCsvTokens(`serial number,upn,secret key,model,manufacturer,time interval\n1234567,helga@contoso.com,${SEED32},K,C,60\n`);
    expect(reordered.problems).toEqual([]);
    expect(reordered.tokens[0]).toMatchObject({ serial: '1234567', userId: 'helga@contoso.com', period: 60, manufacturer: 'C', model: 'K' });
  });

  it('insists on the Entra header when the Entra format is asked for', () => {
    expect(importCsvTokens(`1,${SEED32},30`, { format: 'entra' }).problems).toMatchObject([{ code: 'UNKNOWN_HEADER' }]);
  });

  it('reports CSV syntax errors beside the rows that did parse', () => {
    const { tokens, problems } = importCsvTokens(`1,${SEED32}\n2,"${OTHER32}"x\n3,${OTHER32}`);
    expect(tokens.map((t) => t.serial)).toEqual(['1', '3']);
    expect(problems).toMatchObject([{ code: 'CSV_SYNTAX', line: 2 }]);
  });

  it('reports empty files, header-only files and invalid UTF-8', () => {
    expect(importCsvTokens('').problems).toMatchObject([{ code: 'EMPTY_FILE' }]);
    expect(importCsvTokens('\uFEFF\r\n\r\n').problems).toMatchObject([{ code: 'EMPTY_FILE' }]);
    expect(importCsvTokens(`${ENTRA_HEADER}\r\n`).problems).toMatchObject([{ code: 'EMPTY_FILE' }]);
    expect(importCsvTokens(Buffer.from([0x31, 0x2c, 0xff, 0xfe])).problems).toMatchObject([{ code: 'CSV_SYNTAX' }]);
  });

  it('refuses a file over the size limit before parsing it', () => {
    expect(importCsvTokens(`1,${SEED32}\n`.repeat(100), { maxBytes: 1000 }).problems).toMatchObject([{ code: 'TOO_LARGE' }]);
  });
});
