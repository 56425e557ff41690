// Rewrites the configuration reference in README.md from the zod schemas.
import { readFileSync, writeFileSync } from 'node:fs';
import { renderConfigReference, spliceReference } from '../src/host/config/reference.js';
import { builtinAdapters } from '../adapters/index.js';

const file = new URL('../README.md', import.meta.url);
const readme = readFileSync(file, 'utf8');
const next = spliceReference(readme, renderConfigReference(builtinAdapters));
if (next !== readme) {
  writeFileSync(file, next);
  process.stdout.write('README.md configuration reference updated\n');
} else {
  process.stdout.write('README.md configuration reference already up to date\n');
}
