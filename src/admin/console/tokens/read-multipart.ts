/**
 * A multipart/form-data body (RFC 7578) read with the platform's own parser (the WHATWG
 * `Request.formData()` of Node's fetch), so a file can be posted from a page without JavaScript
 * and without another dependency. The body is read whole up to `limit` bytes first.
 */
import express, { type Request, type RequestHandler } from 'express';
import { FactorgateError } from '../../../kit/errors.js';

export function multipartBody(limit: number): RequestHandler {
  return express.raw({ type: 'multipart/form-data', limit });
}

export interface MultipartForm {
  text(name: string): string;
  file(name: string): Promise<Buffer | null>;
}

export async function readMultipart(req: Request): Promise<MultipartForm> {
  const type = req.headers['content-type'] ?? '';
  if (!Buffer.isBuffer(req.body) || !/^multipart\/form-data;/i.test(type)) {
    throw new FactorgateError('BAD_REQUEST', { detail: 'expected a multipart/form-data body', publicDetail: 'the file could not be read' });
  }
  let form: FormData;
  try {
    form = await new Request('http://localhost/', { method: 'POST', headers: { 'content-type': type }, body: new Uint8Array(req.body) }).formData();
  } catch (cause) {
    throw new FactorgateError('BAD_REQUEST', { detail: 'malformed multipart body', publicDetail: 'the file could not be read', cause });
  }
  return {
    text(name) {
      const v = form.get(name);
      return typeof v === 'string' ? v : '';
    },
    async file(name) {
      const v = form.get(name);
      if (v === null || typeof v === 'string' || v.size === 0) return null;
      return Buffer.from(await v.arrayBuffer());
    },
  };
}
