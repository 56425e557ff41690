/** Zod issues and key paths as the configuration's problem lines write them (`server.port: …`). */
import type { z } from 'zod';

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out === '' ? '(root)' : out;
}

/**
 * Turns zod issues into `path: message` lines, one per problem. `writtenAs` names a path the way
 * the operator wrote it (a value read from `secretFile` is reported at `secretFile`).
 */
export function formatIssues(
  issues: readonly z.core.$ZodIssue[],
  prefix: readonly PropertyKey[] = [],
  writtenAs: (path: string) => string = (path) => path,
): string[] {
  const lines: string[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) lines.push(`${formatPath([...path, key])}: unknown key`);
      continue;
    }
    const message = issue.message.replace(/^Invalid input: /, '').replace(/^Invalid discriminator value\. Expected (.*)$/, 'expected $1');
    lines.push(`${writtenAs(formatPath(path))}: ${message}`);
  }
  return lines;
}
