/** How an import problem is told, the same in the CLI and the console: where in the file, the code, the message. */
import type { StoreImportProblem } from './token-repository.js';

/** `line 4, serial 1002: BAD_BASE32: the secret key is not valid Base32 …` */
export function problemLine(p: StoreImportProblem): string {
  const where = [
    p.line !== undefined ? `line ${p.line}` : undefined,
    p.keyId !== undefined ? `key ${p.keyId}` : undefined,
    p.serial !== undefined && p.serial !== p.keyId ? `serial ${p.serial}` : undefined,
  ].filter((w) => w !== undefined);
  return `${where.length > 0 ? `${where.join(', ')}: ` : ''}${p.code}: ${p.message}`;
}
