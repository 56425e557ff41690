import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  codeDeliveryPolicySchema,
  deliveryConfigSchema,
  smsProviderConfigSchema,
  smtpConfigSchema,
  voiceProviderConfigSchema,
} from '../../src/delivery/config.js';

/** Every property of every object in a JSON Schema, with its path. */
function properties(schema: unknown, path = ''): Array<{ path: string; node: Record<string, unknown> }> {
  if (schema === null || typeof schema !== 'object') return [];
  const node = schema as Record<string, unknown>;
  const out: Array<{ path: string; node: Record<string, unknown> }> = [];
  for (const [k, v] of Object.entries((node.properties as Record<string, unknown>) ?? {})) {
    out.push({ path: `${path}.${k}`, node: v as Record<string, unknown> }, ...properties(v, `${path}.${k}`));
  }
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    for (const [i, v] of ((node[key] as unknown[]) ?? []).entries()) out.push(...properties(v, `${path}[${i}]`));
  }
  if (node.additionalProperties && typeof node.additionalProperties === 'object') {
    out.push(...properties(node.additionalProperties, `${path}.*`));
  }
  return out;
}

describe('delivery configuration schema', () => {
  it('describes every option in one line, naming its default when it has one', () => {
    const json = z.toJSONSchema(deliveryConfigSchema, { io: 'input', unrepresentable: 'any' });
    const props = properties(json).concat(properties(z.toJSONSchema(codeDeliveryPolicySchema, { io: 'input' })));
    expect(props.length).toBeGreaterThan(40);
    for (const { path, node } of props) {
      expect(typeof node.description, path).toBe('string');
      expect(node.description as string, path).not.toMatch(/\n/);
      if ('default' in node && typeof node.default !== 'object') {
        expect(node.description as string, path).toMatch(/Default /);
      }
    }
  });

  it('fills SMTP defaults: submission port, STARTTLS required, certificate checked', () => {
    const c = smtpConfigSchema.parse({ host: 'smtp.example.com', from: 'MFA <mfa@example.com>' });
    expect(c).toMatchObject({
      port: 587,
      secure: false,
      startTls: 'required',
      rejectUnauthorized: true,
      timeouts: { connectionMs: 10_000, greetingMs: 10_000, socketMs: 30_000 },
    });
  });

  it('wants user and password together', () => {
    const r = smtpConfigSchema.safeParse({ host: 'h', from: 'a@b.c', user: 'u' });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path.join('.'))).toEqual(['password']);
    expect(smtpConfigSchema.safeParse({ host: 'h', from: 'a@b.c', password: 'p' }).success).toBe(false);
  });

  it('rejects unknown keys (typos) and names them', () => {
    const r = smtpConfigSchema.safeParse({ host: 'h', from: 'a@b.c', startTLS: 'never' });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain('startTLS');
  });

  it('tells providers apart by type and checks Twilio credentials', () => {
    expect(smsProviderConfigSchema.parse({ type: 'console' })).toEqual({ type: 'console', revealCodes: false });
    expect(
      voiceProviderConfigSchema.safeParse({ type: 'twilio', accountSid: 'nope', authToken: 't', from: '+15005550006' }).success,
    ).toBe(false);
    const tw = voiceProviderConfigSchema.parse({
      type: 'twilio',
      accountSid: 'AC0123456789abcdef0123456789abcdef',
      authToken: 't',
      from: '+15005550006',
    });
    expect(tw).toMatchObject({ baseUrl: 'https://api.twilio.com', timeoutMs: 10_000, retries: 2 });
    expect(smsProviderConfigSchema.safeParse({ type: 'pigeon' }).success).toBe(false);
  });

  it('checks the default phone region against libphonenumber\'s list', () => {
    expect(deliveryConfigSchema.parse({}).defaultRegion).toBe('US');
    expect(deliveryConfigSchema.parse({ defaultRegion: 'fr' }).defaultRegion).toBe('FR');
    expect(deliveryConfigSchema.safeParse({ defaultRegion: 'XX' }).success).toBe(false);
  });

  it('defaults code policy to 6 digits valid 300 s', () => {
    expect(codeDeliveryPolicySchema.parse({})).toEqual({
      codeDigits: 6,
      codeTtlSeconds: 300,
      resendAfterSeconds: 30,
      maxSendsPerChallenge: 3,
      maxSendsPerUserPerHour: 10,
    });
  });
});
