#!/usr/bin/env node
// The `factorgate` command: runs the compiled CLI (built by `npm ci` / `npm run build`). It calls
// the CLI unconditionally: npm reaches this file through symlinks (node_modules/.bin/factorgate,
// npx's cache), so the compiled module cannot tell from process.argv that it is the program.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const main = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
if (!existsSync(main)) {
  process.stderr.write('factorgate: not built yet; run `npm run build` in the project folder\n');
  process.exit(2);
}
const { runFromProcess } = await import(pathToFileURL(main).href);
await runFromProcess();
