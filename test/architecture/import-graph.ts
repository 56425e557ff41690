/**
 * Reads every import of src/ and adapters/ (TypeScript's own pre-processor: static imports,
 * `import type`, re-exports, `import()` with a literal) and reports what breaks the floors:
 * an import that climbs or crosses a floor, a folder not on any floor, an adapter importing
 * src/ beside the SDK or another adapter, and any circle of files.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import ts from 'typescript';

export interface Floors {
  floors: readonly (readonly string[])[];
  sdkEntry: string;
  /** Packages only some places may import (package → path prefixes allowed to import it). */
  packageOwners?: Readonly<Record<string, readonly string[]>>;
}

/** Source files measured: src/ and adapters/, without tests. Paths are relative, with `/`. */
export function sourceFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'node_modules') walk(full);
      } else if (/\.(ts|mts)$/.test(e.name) && !/\.test\.ts$/.test(e.name) && !e.name.endsWith('.d.ts')) {
        out.push(relative(root, full).split(sep).join('/'));
      }
    }
  };
  walk(join(root, 'src'));
  walk(join(root, 'adapters'));
  return out.sort();
}

/** The file an import names, or null for a package (other than the SDK's own name). */
function resolveImport(root: string, from: string, spec: string, sdkEntry: string): string | null {
  if (spec === 'factorgate/adapter') return sdkEntry;
  if (!spec.startsWith('.')) return null;
  const base = posix.normalize(posix.join(posix.dirname(from), spec));
  const candidates = [base.replace(/\.js$/, '.ts'), base.replace(/\.mjs$/, '.mts'), `${base}.ts`, `${base}/index.ts`, base];
  for (const c of candidates) {
    const full = join(root, c);
    if (existsSync(full) && statSync(full).isFile()) return c;
  }
  return base;
}

/** `src/<folder>` for src, `adapters` for every adapter. */
export function folderOf(file: string): string {
  const parts = file.split('/');
  if (parts[0] === 'adapters') return 'adapters';
  return parts.length > 2 ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

/** The adapter a file belongs to (`adapters/<name>/…`), or null for adapters/index.ts and src. */
function adapterOf(file: string): string | null {
  const parts = file.split('/');
  return parts[0] === 'adapters' && parts.length > 2 ? parts[1]! : null;
}

export interface ImportEdge {
  from: string;
  /** The file imported, or null for a package. */
  to: string | null;
  spec: string;
}

export function readImports(root: string, files: readonly string[], sdkEntry: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const from of files) {
    const info = ts.preProcessFile(readFileSync(join(root, from), 'utf8'), true, true);
    for (const i of info.importedFiles) {
      edges.push({ from, to: resolveImport(root, from, i.fileName, sdkEntry), spec: i.fileName });
    }
  }
  return edges;
}

/** Every circle of files (strongly connected components of more than one file, or a self-import). */
export function findCircles(files: readonly string[], edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, Set<string>>(files.map((f) => [f, new Set<string>()]));
  for (const e of edges) if (e.to !== null && next.has(e.to)) next.get(e.from)!.add(e.to);
  // Tarjan's algorithm, iterative so a deep tree cannot overflow the stack.
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  for (const start of files) {
    if (idx.has(start)) continue;
    const work: { node: string; it: Iterator<string> }[] = [];
    const visit = (n: string): void => {
      idx.set(n, index);
      low.set(n, index++);
      stack.push(n);
      onStack.add(n);
      work.push({ node: n, it: next.get(n)!.values() });
    };
    visit(start);
    while (work.length > 0) {
      const top = work[work.length - 1]!;
      const step = top.it.next();
      if (!step.done) {
        const m = step.value;
        if (!idx.has(m)) visit(m);
        else if (onStack.has(m)) low.set(top.node, Math.min(low.get(top.node)!, idx.get(m)!));
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1]!.node;
        low.set(parent, Math.min(low.get(parent)!, low.get(top.node)!));
      }
      if (low.get(top.node) === idx.get(top.node)) {
        const scc: string[] = [];
        let m: string;
        do {
          m = stack.pop()!;
          onStack.delete(m);
          scc.push(m);
        } while (m !== top.node);
        if (scc.length > 1 || next.get(top.node)!.has(top.node)) circles.push(scc.sort());
      }
    }
  }
  return circles;
}

/** Everything that breaks the floors, one readable line each; empty when the tree keeps them. */
export function checkFloors(root: string, { floors, sdkEntry, packageOwners = {} }: Floors): string[] {
  const floorOf = new Map<string, number>();
  floors.forEach((folders, i) => folders.forEach((f) => floorOf.set(f, i)));
  const files = sourceFiles(root);
  const edges = readImports(root, files, sdkEntry);
  const problems = new Set<string>();
  for (const f of files) {
    if (!floorOf.has(folderOf(f))) problems.add(`${folderOf(f)} is on no floor (${f}): list it in test/architecture/floors.ts`);
  }
  for (const { from, to, spec } of edges) {
    if (to === null) {
      for (const [pkg, owners] of Object.entries(packageOwners)) {
        if ((spec === pkg || spec.startsWith(`${pkg}/`)) && !owners.some((o) => from.startsWith(o))) problems.add(`${from} imports ${spec}: only ${owners.join(', ')} may`);
      }
      continue;
    }
    const a = folderOf(from);
    const b = folderOf(to);
    const fromAdapter = adapterOf(from);
    if (fromAdapter !== null) {
      const toAdapter = adapterOf(to);
      if (to.startsWith('src/') && to !== sdkEntry) problems.add(`${from} imports ${spec}: adapters import only the SDK (${sdkEntry})`);
      else if (toAdapter !== null && toAdapter !== fromAdapter) problems.add(`${from} imports ${spec}: adapters never import another adapter`);
      else if (to.startsWith('adapters/') && toAdapter === null) problems.add(`${from} imports ${spec}: an adapter does not import the list of adapters`);
    }
    if (a === b) continue;
    const fa = floorOf.get(a);
    const fb = floorOf.get(b);
    if (fa === undefined || fb === undefined) continue;
    if (fb > fa) problems.add(`${from} imports ${spec}: ${a} (floor ${fa + 1}) climbs to ${b} (floor ${fb + 1})`);
    else if (fb === fa) problems.add(`${from} imports ${spec}: ${a} and ${b} share floor ${fa + 1}, so neither imports the other`);
  }
  for (const circle of findCircles(files, edges)) problems.add(`circle of files: ${circle.join(' <-> ')}`);
  return [...problems].sort();
}
