/**
 * UUIDv7 (RFC 9562 §5.7): a 48-bit Unix time in milliseconds, then 74 random bits. Text ids of
 * this form sort by creation time, so rows written together land next to each other in a B-tree
 * keyed by id: the directory import gives its new users these ids, and SQLite's index of
 * `users.id` then grows at its right edge instead of taking each of a batch's rows at a random
 * leaf (random v4 ids cost the import ≈ 3 µs of CPU per new user at 90,000 users, more as the
 * table outgrows SQLite's page cache; bench/README, "LDAP import, third round").
 *
 * The random part comes from `crypto.randomFillSync`, 74 bits per id: unguessable as a v4 id for
 * anything an id is used for here (it is a key, not a secret); the time part tells when the row
 * was made, which `created_at` says anyway.
 */
import { randomFillSync } from 'node:crypto';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Random bytes drawn 256 ids at a time (one `randomFillSync` call, as `randomUUID` does). */
const pool = Buffer.alloc(16 * 256);
let next = pool.length;

/** A UUIDv7 for `unixMs` (from the clock module), lower-case, in the 8-4-4-4-12 form. */
export function timeOrderedUuid(unixMs: number): string {
  if (!Number.isSafeInteger(unixMs) || unixMs < 0 || unixMs >= 2 ** 48) throw new RangeError(`not a 48-bit millisecond time: ${unixMs}`);
  if (next === pool.length) {
    randomFillSync(pool);
    next = 0;
  }
  const b = pool.subarray(next, next + 16);
  next += 16;
  b.writeUIntBE(unixMs, 0, 6);
  b[6] = 0x70 | (b[6]! & 0x0f); // version 7
  b[8] = 0x80 | (b[8]! & 0x3f); // variant 10
  const h = (i: number): string => HEX[b[i]!]!;
  return `${h(0)}${h(1)}${h(2)}${h(3)}-${h(4)}${h(5)}-${h(6)}${h(7)}-${h(8)}${h(9)}-${h(10)}${h(11)}${h(12)}${h(13)}${h(14)}${h(15)}`;
}
