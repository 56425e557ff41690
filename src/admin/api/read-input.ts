/**
 * Reads a request's query or JSON body against a zod schema: what does not fit is a 400 that
 * names each field and what is wrong with it, never a crash deeper in.
 */
import { z } from 'zod';
import { FactorgateError } from '../../kit/errors.js';

export function readInput<S extends z.ZodType>(schema: S, value: unknown, where: 'query' | 'body'): z.infer<S> {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${where}${i.path.length ? `.${i.path.join('.')}` : ''}: ${i.message}`).join('; ');
  throw new FactorgateError('BAD_REQUEST', { detail: problems, publicDetail: problems });
}

/** A query parameter that is a date (ISO 8601) or epoch milliseconds, as epoch ms. */
export const instant = z.string().transform((s, ctx) => {
  const ms = /^\d{1,16}$/.test(s) ? Number(s) : Date.parse(s);
  if (Number.isNaN(ms)) {
    ctx.addIssue({ code: 'custom', message: `"${s}" is not a date (ISO 8601, e.g. 2026-11-01T00:00:00Z)` });
    return z.NEVER;
  }
  return ms;
});

export const pageLimit = (max: number, fallback: number) => z.coerce.number().int().min(1).max(max).default(fallback);

/** Every action's body: why, in words (stored in the audit record). */
export const reasonBody = z.strictObject({ reason: z.string().min(1).max(500) });
