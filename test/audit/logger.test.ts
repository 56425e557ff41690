/**
 * Log redaction at any depth: by key name (nested SMTP passwords, API tokens, private keys,
 * cookies, SAML messages, form bodies), by URL userinfo and sensitive query values in any
 * string (field values, error messages and stacks, the message text), in child loggers'
 * bindings, and in errors logged anywhere in a record.
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/audit/logger.js';

function capture() {
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (l: string) => void lines.push(l) } });
  return { logger, text: () => lines.join(''), records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const SECRETS = ['smtp-pass-1', 'tw1l10-token', 'hunter2', 'pg-pass', 'key-material', 'sess-cookie', 'PHNhbWxw', '123456', 'client-secret-9', 'ldap-bind-pw'];

describe('the logger redacts secrets at any depth', () => {
  it('by key name, however deep, in objects and arrays', () => {
    const { logger, text, records } = capture();
    logger.warn(
      {
        config: {
          delivery: {
            smtp: { host: 'mail.example.test', port: 587, auth: { user: 'mailer', pass: 'smtp-pass-1' } },
            sms: { provider: 'twilio', accountSid: 'AC1', authToken: 'tw1l10-token' },
          },
          directory: { ldap: { servers: [{ url: 'ldaps://dc1', bindDn: 'cn=svc', bindPassword: 'ldap-bind-pw' }] } },
          secrets: { keys: [{ id: 'k1', key: 'key-material' }] },
          oidc: { clientSecret: 'client-secret-9' },
        },
        deep: { a: { b: { c: { d: { e: { password: 'hunter2' } } } } } },
        headers: { Cookie: 'sess-cookie', 'x-request-id': 'abc' },
        form: { SAMLResponse: 'PHNhbWxw', code: '123456' },
      },
      'config dump',
    );
    for (const s of SECRETS) expect(text()).not.toContain(s);
    const r = records()[0]!;
    // What is not secret stays readable.
    expect(r).toMatchObject({
      config: {
        delivery: { smtp: { host: 'mail.example.test', port: 587, auth: { user: 'mailer', pass: '[redacted]' } }, sms: { accountSid: 'AC1', authToken: '[redacted]' } },
        directory: { ldap: { servers: [{ url: 'ldaps://dc1', bindDn: 'cn=svc', bindPassword: '[redacted]' }] } },
        secrets: { keys: '[redacted]' },
      },
      deep: { a: { b: { c: { d: { e: { password: '[redacted]' } } } } } },
      headers: { Cookie: '[redacted]', 'x-request-id': 'abc' },
    });
  });

  it('by URL userinfo and sensitive query values in any string, the message included', () => {
    const { logger, text, records } = capture();
    logger.info({ store: { url: 'postgres://factorgate:pg-pass@db.internal:5432/fg' }, upstream: 'https://u@proxy/?x=1&token=abc123&SAMLRequest=PHNhbWxw' }, 'connecting to postgres://factorgate:pg-pass@db.internal/fg');
    expect(text()).not.toContain('pg-pass');
    expect(text()).not.toContain('abc123');
    expect(text()).not.toContain('PHNhbWxw');
    const r = records()[0]!;
    expect(r.store).toEqual({ url: 'postgres://factorgate:[redacted]@db.internal:5432/fg' });
    expect(r.upstream).toBe('https://[redacted]@proxy/?x=1&token=[redacted]&SAMLRequest=[redacted]');
    expect(r.msg).toBe('connecting to postgres://factorgate:[redacted]@db.internal/fg');
  });

  it('inside errors: message, stack, own properties and cause; the error kind (code) stays', () => {
    const { logger, text, records } = capture();
    const cause = Object.assign(new Error('auth failed for smtp://mailer:smtp-pass-1@mail'), { response: { config: { auth: { pass: 'smtp-pass-1' } } } });
    const err = Object.assign(new Error('connect postgres://app:pg-pass@db failed', { cause }), { code: 'ECONNREFUSED', options: { password: 'hunter2' } });
    logger.error({ err, nested: { failure: new Error('lookup ldaps://dc1/?password=ldap-bind-pw failed') } }, 'store unreachable');
    for (const s of ['smtp-pass-1', 'pg-pass', 'hunter2', 'ldap-bind-pw']) expect(text()).not.toContain(s);
    const r = records()[0]! as { err: { type: string; code: string; message: string; stack: string } };
    expect(r.err.type).toBe('Error');
    expect(r.err.code).toBe('ECONNREFUSED');
    expect(r.err.message).toContain('connect postgres://app:[redacted]@db failed');
    expect(r.err.stack).toContain('Error: connect postgres://app:[redacted]@db failed');
    expect(r.err.stack).toContain('caused by: Error: auth failed for smtp://mailer:[redacted]@mail');
  });

  it("in a child logger's bindings, and its children's", () => {
    const { logger, text, records } = capture();
    const child = logger.child({ adapter: 'forms-proxy', upstream: { headers: { authorization: 'Basic aHVudGVyMg==' } } });
    child.child({ smtp: { auth: { pass: 'smtp-pass-1' } } }).info('sent');
    expect(text()).not.toContain('aHVudGVyMg');
    expect(text()).not.toContain('smtp-pass-1');
    expect(records()[0]).toMatchObject({ adapter: 'forms-proxy', upstream: { headers: { authorization: '[redacted]' } }, smtp: { auth: { pass: '[redacted]' } }, msg: 'sent' });
  });

  it('survives circular and very deep structures', () => {
    const { logger, records } = capture();
    const loop: Record<string, unknown> = { name: 'loop', password: 'hunter2' };
    loop.self = loop;
    let deep: Record<string, unknown> = { password: 'hunter2' };
    for (let i = 0; i < 40; i++) deep = { next: deep };
    logger.info({ loop, deep }, 'odd shapes');
    const r = records()[0]!;
    expect(r.loop).toEqual({ name: 'loop', password: '[redacted]', self: '[circular]' });
    expect(JSON.stringify(r)).not.toContain('hunter2');
  });
});
