/**
 * Password hashes for the file directory: the one secret-hash format (Argon2id PHC strings;
 * older `scrypt$…` entries still verify). See `hashing/secret-hash.ts`.
 */
import { dummySecretHash, hashSecret, isSecretHash, verifySecret } from '../hashing/secret-hash.js';

export function hashPassword(password: string): Promise<string> {
  return hashSecret(password);
}

export function isPasswordHash(value: string): boolean {
  return isSecretHash(value);
}

/** Verifies in constant time; a malformed hash verifies false after the same work. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  return (await verifySecret(password, encoded)).ok;
}

export { verifySecret as checkPassword };

/** A hash of a random password, verified against when the user does not exist. */
export function dummyPasswordHash(): Promise<string> {
  return dummySecretHash();
}
