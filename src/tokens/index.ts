/** OATH token importers: pure functions from a file's bytes to tokens and named problems. */
export { importCsvTokens } from './csv-import.js';
export type { CsvImportOptions, CsvTokenFormat } from './csv-import.js';
export { parseCsv } from './csv-parse.js';
export type { CsvParseResult, CsvRecord, CsvSyntaxError } from './csv-parse.js';
export { importPskcTokens } from './pskc-import.js';
export type { IgnoredKey, PskcImportOptions, PskcImportResult } from './pskc-import.js';
export { DEFAULT_MIN_SECRET_BYTES } from './token.js';
export type { ImportedToken, ImportProblem, ImportProblemCode, ImportResult } from './token.js';
