#!/usr/bin/env node
// The `factorgate` command: runs the compiled CLI (built by `npm ci` / `npm run build`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
if (!existsSync(main)) {
  process.stderr.write('factorgate: not built yet; run `npm run build` in the project folder\n');
  process.exit(2);
}
await import(main);
