/**
 * `delivery.smtp` of kind `file`: every mail is composed by nodemailer exactly as it would go
 * over SMTP (its stream transport builds the RFC 5322 message), then written to
 * `<dir>/<message id>.eml` instead of being sent, for trying factorgate without a mail server.
 * The files can hold PINs and codes, so the folder is private to the user running factorgate.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Nodemailer from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer/index.js';
import type StreamTransport from 'nodemailer/lib/stream-transport/index.js';

/** What the mailer needs of a transport (nodemailer's SMTP transport has the same shape). */
export interface MailTransport {
  sendMail(message: Mail.Options): Promise<{ messageId: string; rejected: unknown[]; response: string }>;
  verify(): Promise<unknown>;
  close(): void;
}

export function emlFolderTransport(nodemailer: typeof Nodemailer, dir: string): MailTransport {
  const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  let created = false;
  const ensureDir = () => {
    if (created) return;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    created = true;
  };
  return {
    async sendMail(message) {
      const info = (await composer.sendMail(message)) as StreamTransport.SentMessageInfo;
      ensureDir();
      // The Message-ID is unique per mail (RFC 5322 §3.6.4); only safe file-name characters are kept.
      const name = `${info.messageId.replace(/^<|>$/g, '').replace(/[^A-Za-z0-9._@-]/g, '_')}.eml`;
      const file = join(dir, name);
      writeFileSync(file, info.message as Buffer, { mode: 0o600, flag: 'wx' });
      return { messageId: info.messageId, rejected: [], response: `written to ${file}` };
    },
    async verify() {
      ensureDir();
      return true;
    },
    close: () => composer.close(),
  };
}
