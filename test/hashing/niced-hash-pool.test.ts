/**
 * The niced hash pool (issue 16): hashes run on worker threads at nice 19, each worker reading its
 * own thread's /proc stat, and give the same bytes as in-thread hashing.
 */
import { spawnSync } from 'node:child_process';
import { scryptSync } from 'node:crypto';
import { hashRawSync } from '@node-rs/argon2';
import { describe, expect, it } from 'vitest';
import { hashingMode, nicedHashPool } from '../../src/hashing/niced-hash-pool.js';

describe('the niced hash pool', () => {
  it('runs on Linux (this machine has /proc/thread-self)', () => {
    expect(hashingMode()).toMatchObject({ mode: 'niced-workers' });
  });

  it("runs each worker's thread at nice 19, read from /proc/self/task/TID/stat field 19 inside the worker", async () => {
    const values = await nicedHashPool()!.niceValues();
    expect(values.length).toBeGreaterThan(0);
    expect(values.every((v) => v === 19)).toBe(true);
  });

  it('leaves the main thread at its own priority', async () => {
    const { readFileSync } = await import('node:fs');
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    expect(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])).not.toBe(19);
  });

  it('gives the same Argon2id and scrypt bytes as the in-thread functions', async () => {
    const pool = nicedHashPool()!;
    const salt = Buffer.from('factorgate-salt!');
    const argon = await pool.hash({ kind: 'argon2id', secret: 'pässword', salt, m: 19_456, t: 2, p: 1, outputLen: 32 });
    expect(argon.equals(hashRawSync('pässword', { algorithm: 2, version: 1, memoryCost: 19_456, timeCost: 2, parallelism: 1, outputLen: 32, salt }))).toBe(true);
    const scrypt = await pool.hash({ kind: 'scrypt', secret: 'pleaseletmein', salt, keyLen: 32, N: 1024, r: 8, p: 1 });
    expect(scrypt.equals(scryptSync('pleaseletmein', salt, 32, { N: 1024, r: 8, p: 1 }))).toBe(true);
  });

  it('reports a bad parameter as a rejected hash, and keeps working', async () => {
    const pool = nicedHashPool()!;
    await expect(pool.hash({ kind: 'scrypt', secret: 'x', salt: Buffer.alloc(16), keyLen: 32, N: 1000, r: 8, p: 1 })).rejects.toThrow(/hash worker/);
    expect((await pool.hash({ kind: 'scrypt', secret: 'x', salt: Buffer.alloc(16), keyLen: 16, N: 1024, r: 1, p: 1 })).length).toBe(16);
  });
});

describe('a process that hashes', () => {
  it('exits when its work is done: idle hash workers do not keep it alive (a CLI command)', () => {
    const script = `import { hashSecret } from ${JSON.stringify(new URL('../../dist/src/hashing/secret-hash.js', import.meta.url).href)};
      process.stdout.write((await hashSecret('x')).slice(0, 9));`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { timeout: 30_000, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.signal).toBeNull();
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('$argon2id');
  }, 40_000);
});
