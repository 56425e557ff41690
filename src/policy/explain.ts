/**
 * `factorgate policy explain` as text: the effective policy of a user at an app, each part with
 * the rule that gave it (or the default it kept), and, for a client address, whether the second
 * factor would be asked from there.
 */
import { describeSource, networkSkip, type EffectivePolicy } from './effective-policy.js';
import { matchingNetwork } from './networks.js';

export interface ExplainInput {
  username: string;
  app: string;
  groups: readonly string[];
  policy: EffectivePolicy;
  /** A client address to decide the network part for. */
  clientIp?: string | undefined;
}

export function explainPolicy(input: ExplainInput): string {
  const { policy: p } = input;
  const rows: [string, string, string][] = [
    ['methods', p.methods.value.join(', '), describeSource(p.methods.source)],
    ['enrolment', p.enrolment.value, describeSource(p.enrolment.source)],
    ['session', `${p.sessionMinutes.value} minutes`, describeSource(p.sessionMinutes.source)],
    ['remember device', p.rememberDeviceDays.value > 0 ? `${p.rememberDeviceDays.value} days` : 'off', describeSource(p.rememberDeviceDays.source)],
    ['trusted networks', p.trustedNetworks.value ? `${p.trustedNetworks.value.mode} ${p.trustedNetworks.value.networks.join(', ')}` : 'none', describeSource(p.trustedNetworks.source)],
  ];
  const width = Math.max(...rows.map((r) => r[1].length));
  const out = [
    `policy for ${input.username} at ${input.app} (groups: ${input.groups.join('; ') || 'none'})`,
    `matching rules: ${p.matched.join(', ') || 'none'}`,
    ...rows.map(([k, v, s]) => `${k.padEnd(17)}${v.padEnd(width + 2)}${s}`),
  ];
  if (input.clientIp !== undefined) {
    const nets = p.trustedNetworks.value;
    const skip = networkSkip(nets, nets ? matchingNetwork(input.clientIp, nets.networks) : null);
    out.push(`from ${input.clientIp}: ${skip ? `second factor skipped (${skip}) unless the relying party asks for step-up` : 'second factor asked'}`);
  }
  return `${out.join('\n')}\n`;
}
