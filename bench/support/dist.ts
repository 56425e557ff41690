/**
 * A module of the build (`dist/`), typed as its source: benchmarks that should measure what a user
 * runs (compiled JavaScript, worker threads loading .js) import it from here. The path is resolved
 * at run time, so type-checking does not depend on a fresh build.
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

export async function fromDist<T>(sourcePath: string): Promise<T> {
  const file = join(process.cwd(), 'dist', sourcePath);
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` first`);
  return (await import(pathToFileURL(file).href)) as T;
}
