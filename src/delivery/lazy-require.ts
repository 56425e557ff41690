/**
 * A CommonJS package loaded at first use, synchronously: the host starts without the senders'
 * libraries (nodemailer, Handlebars, libphonenumber's metadata: ≈ 25 MB of RSS together) when
 * no delivered-code method is configured, and the functions using them stay synchronous, with
 * the same errors. Each package must be loaded only this way, never also by `import`: the
 * ESM and CommonJS builds of a dual package are two copies.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export function lazyRequire<T>(id: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(id) as T);
}
