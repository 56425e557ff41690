import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REFERENCE_END, REFERENCE_START, renderConfigReference } from '../../src/host/config/reference.js';
import { builtinAdapters } from '../../adapters/index.js';

describe('README configuration reference', () => {
  it('matches the schemas (run `npm run docs:config` after changing an option)', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const start = readme.indexOf(REFERENCE_START);
    const end = readme.indexOf(REFERENCE_END) + REFERENCE_END.length;
    expect(start).toBeGreaterThan(0);
    expect(readme.slice(start, end)).toBe(renderConfigReference(builtinAdapters));
  });

  it('documents every option with a description', () => {
    const rows = renderConfigReference(builtinAdapters).split('\n').filter((l) => l.startsWith('| `'));
    expect(rows.length).toBeGreaterThan(30);
    for (const row of rows) expect(row.split('|')[4]?.trim(), row).not.toBe('');
  });
});
