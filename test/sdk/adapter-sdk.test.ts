/**
 * `factorgate/adapter` as a plugin imports it: through the package's `exports` (the built dist,
 * with types), carrying the host API version and the helpers docs/adapters.md promises; and the
 * built-in adapters' sources import nothing of factorgate but the SDK.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HOST_API_VERSION } from '../../src/api/host-api.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

describe('factorgate/adapter', () => {
  it('resolves by package name to the built SDK, with its declarations', async () => {
    // A package may import itself by name through its own `exports`, exactly as a plugin does.
    const sdk = (await import('factorgate/adapter' as string)) as Record<string, unknown>;
    expect(sdk.HOST_API_VERSION).toBe(HOST_API_VERSION);
    for (const name of ['FactorgateError', 'isFactorgateError', 'durationToMs', 'duration', 'readCookie', 'parseXmlSafely', 'verifyInboundRequest', 'verifyUpstreamResponse', 'buildSignedResponse', 'SamlSigner', 'z']) {
      expect(sdk[name], name).toBeDefined();
    }
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, { types: string; import: string }> };
    expect(existsSync(join(ROOT, pkg.exports['./adapter']!.types))).toBe(true);
    expect(readFileSync(join(ROOT, pkg.exports['./adapter']!.types), 'utf8')).toContain("export * from '../api/host-api.js'");
  });

  it('is the only part of factorgate the built-in adapters import', () => {
    const offenders: string[] = [];
    for (const file of sources(join(ROOT, 'adapters'))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/from '((?:\.\.\/)+src\/[^']+)'/g)) {
        if (!m[1]!.endsWith('src/sdk/adapter.js')) offenders.push(`${file.slice(ROOT.length)}: ${m[1]}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
