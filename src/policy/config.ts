/**
 * The `policies` section (issue 20): rules by relying party/app and by directory group, the
 * remember-device cookie, and fraud reports. Every part of a rule is optional; for each part the
 * first matching rule that sets it wins, and a part no rule sets keeps its default.
 */
import { isIP } from 'node:net';
import { z } from 'zod';

/** Every second-factor kind a rule may allow (the factors' `kind`). */
export const METHOD_KINDS = ['totp', 'oath', 'sms', 'voice', 'email', 'webauthn', 'backup-code'] as const;
export type MethodKind = (typeof METHOD_KINDS)[number];
/** What a user with no method meets (the host API's EnrolmentPolicy: this folder sits below it). */
export type EnrolmentChoice = 'enroll' | 'deny' | 'allow';

/** `10.0.0.0/8`, `192.168.1.7`, `2001:db8::/32`: an address or a network with its prefix length. */
export function isCidr(value: string): boolean {
  const [addr = '', bits, extra] = value.split('/');
  const family = isIP(addr);
  if (family === 0 || extra !== undefined) return false;
  if (bits === undefined) return true;
  if (!/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

const cidr = z.string().refine(isCidr, 'expected an address or a CIDR network such as 10.0.0.0/8 or 2001:db8::/32');

export const trustedNetworksSchema = z
  .strictObject({
    networks: z.array(cidr).min(1).describe('Client networks (CIDR), the client address as seen through server.trustedProxies.'),
    mode: z
      .enum(['skip-inside', 'require-inside'])
      .default('skip-inside')
      .describe('skip-inside: clients inside these networks skip the second factor; require-inside: the second factor is asked only inside them (everyone else skips). Default skip-inside.'),
  })
  .describe('Networks that change whether the second factor is asked.');

export const policyRuleSchema = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'expected 1-64 letters, digits, . _ or -').describe('The rule\'s name, shown by `policy explain` and in the audit.'),
    apps: z.array(z.string().min(1)).min(1).optional().describe('Relying parties or apps (their configured names, or an adapter name) the rule applies to. Default: every app.'),
    groups: z.array(z.string().min(1)).min(1).optional().describe('Directory groups (CN or full DN, case-insensitive) the rule applies to; any one is enough. Default: every user.'),
    methods: z.array(z.enum(METHOD_KINDS)).min(1).optional().describe('Second-factor methods allowed (others are neither offered nor enrolled).'),
    enrolment: z.enum(['enroll', 'deny', 'allow']).optional().describe('A user with no allowed method: enroll, deny, or allow (pass without a second factor).'),
    sessionMinutes: z.number().int().min(1).max(7 * 24 * 60).optional().describe('Lifetime of the session a sign-in opens.'),
    rememberDeviceDays: z.number().int().min(0).max(365).optional().describe('Offer "remember this device" for this many days (0: never).'),
    trustedNetworks: trustedNetworksSchema.optional(),
  })
  .describe('A policy rule: applies when both apps and groups match (each absent matches all).');

export const fraudConfigSchema = z
  .strictObject({
    mode: z.enum(['block', 'report']).default('block').describe('block: a report blocks the user\'s second factor until an admin clears it; report: only records and mails it. Default block.'),
    notify: z.array(z.email()).default([]).describe('Admins mailed at each report (through delivery.smtp). Default none.'),
  })
  .describe('"This wasn\'t me" reports from the challenge page and sent codes.');

export const policiesConfigSchema = z
  .strictObject({
    rules: z.array(policyRuleSchema).default([]).describe('Rules in order; for each part the first matching rule that sets it wins. Default none.'),
    fraud: fraudConfigSchema.prefault({}),
  })
  .superRefine((p, ctx) => {
    const seen = new Set<string>();
    p.rules.forEach((r, i) => {
      if (seen.has(r.name)) ctx.addIssue({ code: 'custom', path: ['rules', i, 'name'], message: `"${r.name}" is used by an earlier rule` });
      seen.add(r.name);
    });
  })
  .describe('Per-app and per-group policy, trusted networks, remembered devices and fraud reports (see README "Policies").');

export type PoliciesConfig = z.output<typeof policiesConfigSchema>;
export type PolicyRule = z.output<typeof policyRuleSchema>;
export type TrustedNetworks = z.output<typeof trustedNetworksSchema>;
export type FraudConfig = z.output<typeof fraudConfigSchema>;
