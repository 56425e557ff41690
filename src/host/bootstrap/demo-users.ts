/**
 * The demo directory: three users in a YAML file, created at first start with random passwords
 * that are printed once on the terminal (never to the structured log) and stored only hashed.
 * alice and bob have an email address and a phone (their codes are sent by SMS, call or email,
 * which the demo writes to the log); carol has neither, so her first sign-in shows how a user
 * registers an authenticator app.
 */
import { randomInt } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { stringify } from 'yaml';
import { hashPassword } from '../../directory/password-hash.js';

export interface DemoCredential {
  username: string;
  password: string;
  /** What signing in as this user shows, printed beside the password. */
  shows: string;
}

const ALPHABET = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

function readablePassword(): string {
  let out = '';
  for (let i = 0; i < 4 * 3; i++) {
    if (i > 0 && i % 4 === 0) out += '-';
    out += ALPHABET[randomInt(ALPHABET.length)];
  }
  return out;
}

/** Creates the demo users file if absent; returns the new passwords (empty when it existed). */
export async function ensureDemoUsers(path: string): Promise<DemoCredential[]> {
  if (existsSync(path)) return [];
  const delivered = 'codes by text, call or email (printed in the log)';
  const people = [
    { shows: delivered, user: { username: 'alice', displayName: 'Alice Martin', givenName: 'Alice', surname: 'Martin', email: 'alice@example.test', phone: '+33612345678' } },
    { shows: delivered, user: { username: 'bob', displayName: 'Bob Durand', givenName: 'Bob', surname: 'Durand', email: 'bob@example.test', phone: '+14155550123' } },
    { shows: 'no email or phone: registers an authenticator app at first sign-in', user: { username: 'carol', displayName: 'Carol Lemaire', givenName: 'Carol', surname: 'Lemaire' } },
  ];
  const creds: DemoCredential[] = [];
  const users = [];
  for (const { shows, user } of people) {
    const password = readablePassword();
    creds.push({ username: user.username, password, shows });
    users.push({ ...user, passwordHash: await hashPassword(password) });
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(
    path,
    `# factorgate demo directory, generated at first start.\n# Replace a password: npx factorgate users hash-password, then paste the hash here.\n${stringify({ users })}`,
    { mode: 0o600, flag: 'wx' },
  );
  return creds;
}
