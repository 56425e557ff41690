import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vitest/config';

const SDK_SOURCE = fileURLToPath(new URL('./src/sdk/adapter.ts', import.meta.url));
const EXAMPLES = fileURLToPath(new URL('./examples/', import.meta.url));

/**
 * The example plugin's sources import the SDK by package name (`factorgate/adapter`), as any
 * plugin does; tests that load them in-process get the SDK's source, the same module instances
 * the host under test uses. Only for importers below examples/: the SDK test itself resolves the
 * name through package.json `exports`, to the build.
 */
const exampleSdk: Plugin = {
  name: 'example-plugins-use-the-sdk-source',
  enforce: 'pre',
  resolveId(source, importer) {
    return source === 'factorgate/adapter' && importer?.startsWith(EXAMPLES) ? SDK_SOURCE : null;
  },
};

export default defineConfig({
  plugins: [exampleSdk],
  test: {
    include: ['test/**/*.test.ts', 'adapters/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: '.vitest-report.json' },
  },
});
