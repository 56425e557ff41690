/**
 * A small RFC 4180 reader, written here rather than taken from a library because the
 * importer needs three things generic CSV packages rarely give together: the line each record
 * *starts* on (quoted fields may span lines), a refusal rather than a guess for malformed
 * quoting, and recovery at the next line so one bad row does not hide the others.
 *
 * Accepted beyond the letter of RFC 4180, because spreadsheets write it: a UTF-8 byte order
 * mark, LF or lone CR line ends as well as CRLF, and no line break after the last record.
 */

export interface CsvRecord {
  /** 1-based line on which the record starts. */
  line: number;
  fields: string[];
}

export interface CsvSyntaxError {
  line: number;
  message: string;
}

export interface CsvParseResult {
  records: CsvRecord[];
  errors: CsvSyntaxError[];
}

export function parseCsv(text: string): CsvParseResult {
  const records: CsvRecord[] = [];
  const errors: CsvSyntaxError[] = [];
  const input = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const n = input.length;

  let i = 0;
  let line = 1;
  while (i < n) {
    const startLine = line;
    const fields: string[] = [];
    let error: string | undefined;

    for (;;) {
      let field = '';
      if (input[i] === '"') {
        // RFC 4180 §2.6–2.7: a quoted field may hold commas, line breaks and "" for a quote.
        const quoteLine = line;
        i++;
        let closed = false;
        while (i < n) {
          const c = input[i]!;
          if (c === '"') {
            if (input[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            closed = true;
            break;
          }
          if (c === '\n' || (c === '\r' && input[i + 1] !== '\n')) line++;
          field += c;
          i++;
        }
        if (!closed) {
          error = `the quoted field opened on line ${quoteLine} is never closed`;
          break;
        }
        if (i < n && input[i] !== ',' && input[i] !== '\r' && input[i] !== '\n') {
          error = 'text follows a closing quote; a quote inside a quoted field is written ""';
          break;
        }
      } else {
        while (i < n && input[i] !== ',' && input[i] !== '\r' && input[i] !== '\n') {
          if (input[i] === '"') {
            // RFC 4180 §2.5: quotes may not appear inside an unquoted field.
            error = 'a quote inside an unquoted field; quote the whole field and double the quote';
            break;
          }
          field += input[i];
          i++;
        }
        if (error) break;
      }
      fields.push(field);
      if (i < n && input[i] === ',') {
        i++;
        continue;
      }
      break;
    }

    if (error) {
      errors.push({ line: startLine, message: error });
      // Resume at the next line break so the rows after a bad one are still checked.
      while (i < n && input[i] !== '\r' && input[i] !== '\n') i++;
    } else {
      // Spreadsheets pad sheets with empty rows, often as ",,,,,"; they carry no token.
      const blank = fields.every((f) => f.trim() === '');
      if (!blank) records.push({ line: startLine, fields });
    }
    if (input[i] === '\r') i++;
    if (input[i] === '\n') i++;
    line++;
  }
  return { records, errors };
}
