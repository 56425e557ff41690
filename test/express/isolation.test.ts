/**
 * `factorgate/express` runs inside other people's apps: every import of src/express is a file of
 * its own folder, a Node built-in, or a package it declares (jose; express for types only), so
 * installing it pulls nothing of the server in, and the package's exports publish it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FOLDER = join(ROOT, 'src/express');

function importsOf(file: string): string[] {
  return ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles.map((f) => f.fileName);
}

describe('factorgate/express', () => {
  it('imports only its own folder, node: built-ins, jose, and express types', () => {
    const files = readdirSync(FOLDER).filter((f) => f.endsWith('.ts'));
    expect(files).toContain('index.ts');
    const outside = files.flatMap((f) => importsOf(join(FOLDER, f)).filter((spec) => !/^\.\/[a-z-]+\.js$/.test(spec) && !spec.startsWith('node:') && spec !== 'jose' && spec !== 'express').map((spec) => `${f}: ${spec}`));
    expect(outside).toEqual([]);
    // express is imported for its types alone: nothing of it is loaded at run time.
    for (const f of files) {
      const text = readFileSync(join(FOLDER, f), 'utf8');
      expect(text, f).not.toMatch(/^import (?!type )[^;]*from 'express'/m);
    }
  });

  it('is published as factorgate/express, with passport an optional peer and jose a dependency', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, unknown>>;
    expect(pkg.exports!['./express']).toEqual({ types: './dist/src/express/index.d.ts', import: './dist/src/express/index.js' });
    expect(pkg.dependencies!.jose).toBeDefined();
    expect(pkg.peerDependenciesMeta!.passport).toEqual({ optional: true });
    expect(pkg.dependencies!.passport).toBeUndefined();
  });
});
