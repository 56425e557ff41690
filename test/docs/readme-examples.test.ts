/**
 * Every ```yaml block of README.md and adapters/*\/README.md parses as written and is valid:
 * full configurations (those with a `directory`) through the real `factorgate check-config`,
 * fragments through the schema of each of their sections, users files through the file
 * directory's parser. `…File` keys point at files an operator would have: the test writes
 * plausible ones (a real certificate and key, a hex key) and points the keys at them.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMap, isPair, isScalar, isSeq, parseDocument, visit, type Document } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinAdapters } from '../../adapters/index.js';
import { formatIssues } from '../../src/host/config/load.js';
import { rootConfigSchema } from '../../src/config/schema.js';
import { parseUsersFile } from '../../src/directory/file/file-directory.js';
import { runFactorgate } from '../support/factorgate-cli.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Block {
  file: string;
  line: number;
  text: string;
}

function yamlBlocks(file: string): Block[] {
  const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== '```yaml') continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end]!.trim() !== '```') end++;
    blocks.push({ file, line: start + 1, text: lines.slice(start, end).join('\n') });
    i = end;
  }
  return blocks;
}

const readmes = ['README.md', ...readdirSync(join(ROOT, 'adapters'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => `adapters/${d.name}/README.md`)].filter((f) => {
  try {
    readFileSync(join(ROOT, f));
    return true;
  } catch {
    return false;
  }
});
const blocks = readmes.flatMap(yamlBlocks);

let dir: string;
let fixtures: Record<'cert' | 'pem-key' | 'hex-key' | 'secret' | 'db-url' | 'metadata', string>;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fg-readme-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-subj', '/CN=mfa.example.com'], { stdio: 'pipe' });
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  fixtures = {
    cert: join(dir, 'cert.pem'),
    'pem-key': join(dir, 'key.pem'),
    'hex-key': write('k.hex', `${'5a'.repeat(32)}\n`),
    secret: write('secret', 'an-example-secret-0123456789-long-enough-for-hs256\n'),
    'db-url': write('db-url', 'postgres://factorgate@db.example.com/factorgate\n'),
    metadata: write(
      'sp.xml',
      '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://payroll.example.com/sp"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://payroll.example.com/acs" index="0"/></md:SPSSODescriptor></md:EntityDescriptor>\n',
    ),
  };
  // A configuration's `directory: { type: file, path: users.yaml }` reads the README's own users file example.
  const usersExample = blocks.find((b) => /^users:/m.test(b.text));
  if (usersExample) write('users.yaml', `${usersExample.text}\n`);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Which fixture a `…File` key at this path should point at. */
function fixtureFor(path: readonly string[], key: string): string {
  if (/cert/i.test(key) || key === 'caFile') return fixtures.cert;
  if (key === 'keyFile') return path[0] === 'secrets' ? fixtures['hex-key'] : fixtures['pem-key'];
  if (key === 'urlFile') return fixtures['db-url'];
  if (key === 'metadataFile') return fixtures.metadata;
  return fixtures.secret;
}

/** Points every `…File` key of the document at a fixture (the operator's secret files). */
function pointFileKeysAtFixtures(doc: Document): void {
  visit(doc, {
    Pair(_, pair, path) {
      if (!isPair(pair) || !isScalar(pair.key) || typeof pair.key.value !== 'string' || !pair.key.value.endsWith('File')) return;
      const keys = path.filter(isPair).map((p) => (isScalar(p.key) ? String(p.key.value) : ''));
      pair.value = doc.createNode(fixtureFor(keys, pair.key.value));
    },
  });
}

/** `xFile: path` → `x: <content>`, as the loader does, for validating a fragment in-process. */
function readFileKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(readFileKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => (k.endsWith('File') && typeof v === 'string' ? [k.slice(0, -4), readFileSync(v, 'utf8').trim()] : [k, readFileKeys(v)])),
  );
}

function fragmentProblems(data: Record<string, unknown>): string[] {
  const { adapters, ...host } = data;
  const problems: string[] = [];
  const root = rootConfigSchema.safeParse(host);
  if (!root.success) problems.push(...formatIssues(root.error.issues));
  for (const [key, section] of Object.entries((adapters ?? {}) as Record<string, unknown>)) {
    const def = builtinAdapters.find((a) => a.configKey === key);
    if (!def) {
      // A plugin's section is checked by the plugin's own schema, and an example's package
      // (@acme/…) is not installed here: only a block naming plugins may have such a section.
      if (!Array.isArray(data.plugins) || data.plugins.length === 0) problems.push(`adapters.${key}: unknown adapter`);
      continue;
    }
    const parsed = def.configSchema.safeParse(section);
    if (!parsed.success) problems.push(...formatIssues(parsed.error.issues, ['adapters', key]));
  }
  return problems;
}

describe('README examples', () => {
  it('finds the YAML examples of the main README and of every adapter README', () => {
    expect(readmes).toEqual(expect.arrayContaining(['README.md', 'adapters/saml-idp/README.md', 'adapters/saml-bridge/README.md', 'adapters/forms-proxy/README.md']));
    expect(blocks.length).toBeGreaterThanOrEqual(9);
  });

  it.each(blocks.map((b) => [`${b.file}:${b.line}`, b] as const))('%s parses as written and is valid', async (_, block) => {
    const doc = parseDocument(block.text, { uniqueKeys: true });
    expect(doc.errors.map((e) => e.message)).toEqual([]);
    expect(isMap(doc.contents)).toBe(true);
    const data = doc.toJS() as Record<string, unknown>;

    if ('users' in data) {
      // The users file of the `file` directory, through its own parser.
      expect(() => parseUsersFile(block.text, block.file)).not.toThrow();
      return;
    }
    pointFileKeysAtFixtures(doc);
    if ('directory' in data) {
      // A full configuration: the real command, as an operator would run it.
      const path = join(dir, `${block.file.replace(/\W+/g, '-')}-${block.line}.yaml`);
      writeFileSync(path, doc.toString());
      const r = await runFactorgate(['check-config', '--config', path]);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      return;
    }
    expect(fragmentProblems(readFileKeys(doc.toJS()) as Record<string, unknown>)).toEqual([]);
  });

  it('catches an unquoted DN list, the mistake this test was written for', () => {
    const doc = parseDocument('directory:\n  type: ldap\n  urls: [ldaps://dc1.corp.example]\n  baseDns: [OU=Staff,DC=corp,DC=example]\n');
    expect(fragmentProblems(doc.toJS() as Record<string, unknown>)).toEqual([expect.stringMatching(/^directory\.baseDns: looks like one DN split into 3/)]);
    expect(isSeq(doc.getIn(['directory', 'baseDns']))).toBe(true);
  });
});
