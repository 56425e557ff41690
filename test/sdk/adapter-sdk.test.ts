/**
 * `factorgate/adapter` as a plugin imports it: through the package's `exports` (the built dist,
 * with types), carrying the host API version and the helpers docs/adapters.md promises. That the
 * built-in adapters import nothing of factorgate but the SDK is test/architecture/folder-order.test.ts's.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HOST_API_VERSION } from '../../src/api/host-api.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

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

});
