/**
 * The demo client's shared secret: random, made at the first `npm start` and kept in the data
 * folder (owner-only), so `radtest` works at once and the secret is not one printed in every
 * copy of the README.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function demoSecret(dataDir: string): string {
  const file = join(dataDir, 'radius-demo-secret');
  if (existsSync(file)) {
    const kept = readFileSync(file, 'utf8').trim();
    if (kept.length >= 16 && !kept.startsWith('-')) return kept;
  }
  mkdirSync(dataDir, { recursive: true });
  // Hex: a secret starting with '-' would be read as an option by radclient and radtest.
  const secret = randomBytes(16).toString('hex');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}
