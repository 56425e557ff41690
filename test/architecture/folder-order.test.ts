/**
 * The folders of src/ and adapters/ depend on each other one way, floor by floor, as
 * test/architecture/floors.ts lists them; no file imports its way back to itself. The checker is
 * itself checked on small planted trees, so a green run means something.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { FLOORS, PACKAGE_OWNERS, SDK_ENTRY } from './floors.js';
import { checkFloors, folderOf } from './import-graph.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('the floors of src/ and adapters/', () => {
  it('hold: no import climbs or crosses a floor, adapters import only the SDK, one XML parser, no circle of files', () => {
    expect(checkFloors(ROOT, { floors: FLOORS, sdkEntry: SDK_ENTRY, packageOwners: PACKAGE_OWNERS })).toEqual([]);
  });

  it('list each folder once', () => {
    const all = FLOORS.flat();
    expect(new Set(all).size).toBe(all.length);
    expect(folderOf('src/kit/errors.ts')).toBe('src/kit');
    expect(folderOf('adapters/saml-idp/checks/context.ts')).toBe('adapters');
  });
});

describe('the floor checker, on planted trees', () => {
  const trees: string[] = [];
  afterEach(() => {
    for (const t of trees.splice(0)) rmSync(t, { recursive: true, force: true });
  });
  const FIXTURE_FLOORS = { floors: [['src/kit'], ['src/store', 'src/mail'], ['src/sdk'], ['adapters'], ['src/host']], sdkEntry: 'src/sdk/adapter.ts' };

  /** A tree of files (path → content) in a temporary folder. */
  function tree(files: Record<string, string>): string {
    const root = mkdtempSync(join(tmpdir(), 'fg-floors-'));
    trees.push(root);
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    return root;
  }
  const sound = {
    'src/kit/clock.ts': 'export const now = (): number => 0;\n',
    'src/store/store.ts': "import { now } from '../kit/clock.js';\nexport const open = (): number => now();\n",
    'src/mail/send.ts': "import type { now } from '../kit/clock.js';\nexport type Now = typeof now;\n",
    'src/sdk/adapter.ts': "export * from '../kit/clock.js';\n",
    'adapters/hello/index.ts': "import { now } from '../../src/sdk/adapter.js';\nimport { greet } from './greet.js';\nexport const adapter = { now, greet };\n",
    'adapters/hello/greet.ts': 'export const greet = (): string => "hello";\n',
    'adapters/index.ts': "export { adapter } from './hello/index.js';\n",
    'src/host/host.ts': "import { adapter } from '../../adapters/index.js';\nimport { open } from '../store/store.js';\nexport const start = (): unknown => [adapter, open()];\n",
    'src/host/host.test.ts': "import '../../adapters/hello/greet.js';\n",
  };

  it('finds nothing wrong in a sound tree (tests may import anything)', () => {
    expect(checkFloors(tree(sound), FIXTURE_FLOORS)).toEqual([]);
  });

  it('refuses an import that climbs, whatever its form: import, import type, re-export, import()', () => {
    for (const line of [
      "import { start } from '../host/host.js';",
      "import type { start } from '../host/host.js';",
      "export { start } from '../host/host.js';",
      "export const later = () => import('../host/host.js');",
      "import { start } from '../host/host';",
    ]) {
      const problems = checkFloors(tree({ ...sound, 'src/kit/late.ts': `${line}\n` }), FIXTURE_FLOORS);
      expect(problems, line).toEqual([expect.stringMatching(/^src\/kit\/late\.ts imports \.\.\/host\/host(\.js)?: src\/kit \(floor 1\) climbs to src\/host \(floor 5\)$/)]);
    }
  });

  it('refuses an import between two folders of one floor', () => {
    const problems = checkFloors(tree({ ...sound, 'src/store/notify.ts': "import type { Now } from '../mail/send.js';\nexport type N = Now;\n" }), FIXTURE_FLOORS);
    expect(problems).toEqual(['src/store/notify.ts imports ../mail/send.js: src/store and src/mail share floor 2, so neither imports the other']);
  });

  it('refuses a folder that is on no floor', () => {
    const problems = checkFloors(tree({ ...sound, 'src/portal/routes.ts': 'export const x = 1;\n' }), FIXTURE_FLOORS);
    expect(problems).toEqual(['src/portal is on no floor (src/portal/routes.ts): list it in test/architecture/floors.ts']);
  });

  it('refuses an adapter that imports src/ beside the SDK, or another adapter', () => {
    const problems = checkFloors(
      tree({
        ...sound,
        'adapters/other/index.ts': "import { now } from '../../src/kit/clock.js';\nimport { greet } from '../hello/greet.js';\nexport const o = [now, greet];\n",
      }),
      FIXTURE_FLOORS,
    );
    expect(problems).toEqual([
      'adapters/other/index.ts imports ../../src/kit/clock.js: adapters import only the SDK (src/sdk/adapter.ts)',
      'adapters/other/index.ts imports ../hello/greet.js: adapters never import another adapter',
    ]);
  });

  it('counts the package name factorgate/adapter as the SDK', () => {
    expect(checkFloors(tree({ ...sound, 'adapters/hello/greet.ts': "import { now } from 'factorgate/adapter';\nexport const greet = (): number => now();\n" }), FIXTURE_FLOORS)).toEqual([]);
    const problems = checkFloors(tree({ ...sound, 'src/kit/uses-sdk.ts': "import { now } from 'factorgate/adapter';\nexport const n = now;\n" }), FIXTURE_FLOORS);
    expect(problems).toEqual(['src/kit/uses-sdk.ts imports factorgate/adapter: src/kit (floor 1) climbs to src/sdk (floor 3)']);
  });

  it('refuses a second XML parser outside its owner', () => {
    const owners = { ...FIXTURE_FLOORS, packageOwners: { '@xmldom/xmldom': ['src/kit/xml/'] } };
    expect(checkFloors(tree({ ...sound, 'src/kit/xml/parse.ts': "import { DOMParser } from '@xmldom/xmldom';\nexport const p = DOMParser;\n" }), owners)).toEqual([]);
    const problems = checkFloors(tree({ ...sound, 'src/store/read.ts': "import { DOMParser } from '@xmldom/xmldom/lib/dom-parser.js';\nexport const p = DOMParser;\n" }), owners);
    expect(problems).toEqual(['src/store/read.ts imports @xmldom/xmldom/lib/dom-parser.js: only src/kit/xml/ may']);
  });

  it('finds a circle of files inside one folder, even through type imports', () => {
    const problems = checkFloors(
      tree({
        ...sound,
        'src/store/a.ts': "import type { B } from './b.js';\nexport interface A { b: B }\n",
        'src/store/b.ts': "import { c } from './c.js';\nexport interface B { c: typeof c }\n",
        'src/store/c.ts': "import type { A } from './a.js';\nexport const c: A | null = null;\n",
      }),
      FIXTURE_FLOORS,
    );
    expect(problems).toEqual(['circle of files: src/store/a.ts <-> src/store/b.ts <-> src/store/c.ts']);
  });
});
