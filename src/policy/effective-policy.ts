/**
 * The effective policy of a user at an app: for each part, the first rule that matches the pair
 * and sets that part; parts no rule sets keep their default. One function, used by the challenge
 * engine and by `factorgate policy explain`, so what the CLI prints is what a sign-in meets.
 */
import { inAnyGroup } from './group-match.js';
import { METHOD_KINDS, type EnrolmentChoice as EnrolmentPolicy, type MethodKind, type PolicyRule, type TrustedNetworks } from './config.js';

export interface PolicySubject {
  /** The relying party or app name (the challenge's `relyingParty`), else the adapter's name. */
  app: string | null;
  /** The adapter that began the sign-in (rules may name it in `apps`). */
  adapter?: string | undefined;
  /** The user's directory groups (names or DNs). */
  groups: readonly string[];
}

export interface PolicyDefaults {
  /** The adapter's or host's enrolment policy. */
  enrolment: EnrolmentPolicy;
  /** Where that default comes from, for the explanation. */
  enrolmentSource: string;
  sessionMinutes: number;
}

/** Which rule gave a part (index in `policies.rules`), or the default it kept. */
export type PartSource = { rule: string; index: number } | { default: string };

export interface Part<T> {
  value: T;
  source: PartSource;
}

export interface EffectivePolicy {
  methods: Part<readonly MethodKind[]>;
  enrolment: Part<EnrolmentPolicy>;
  sessionMinutes: Part<number>;
  rememberDeviceDays: Part<number>;
  trustedNetworks: Part<TrustedNetworks | null>;
  /** The rules that matched, in order. */
  matched: readonly string[];
}

function ruleMatches(rule: PolicyRule, subject: PolicySubject): boolean {
  if (rule.apps && !rule.apps.some((a) => a === subject.app || a === subject.adapter)) return false;
  if (rule.groups && !inAnyGroup(rule.groups, subject.groups)) return false;
  return true;
}

export function effectivePolicy(rules: readonly PolicyRule[], subject: PolicySubject, defaults: PolicyDefaults): EffectivePolicy {
  const matching = rules.map((rule, index) => ({ rule, index })).filter(({ rule }) => ruleMatches(rule, subject));
  const part = <K extends keyof PolicyRule, T>(key: K, fallback: Part<T>, map: (v: NonNullable<PolicyRule[K]>) => T): Part<T> => {
    const hit = matching.find(({ rule }) => rule[key] !== undefined);
    return hit ? { value: map(hit.rule[key] as NonNullable<PolicyRule[K]>), source: { rule: hit.rule.name, index: hit.index } } : fallback;
  };
  return {
    methods: part('methods', { value: [...METHOD_KINDS] as readonly MethodKind[], source: { default: 'every configured method' } }, (v): readonly MethodKind[] => v),
    enrolment: part('enrolment', { value: defaults.enrolment, source: { default: defaults.enrolmentSource } }, (v) => v),
    sessionMinutes: part('sessionMinutes', { value: defaults.sessionMinutes, source: { default: 'session.lifetimeMinutes' } }, (v) => v),
    rememberDeviceDays: part('rememberDeviceDays', { value: 0, source: { default: 'off' } }, (v) => v),
    trustedNetworks: part('trustedNetworks', { value: null, source: { default: 'none' } }, (v): TrustedNetworks | null => v),
    matched: matching.map(({ rule }) => rule.name),
  };
}

/** `rule "admins" (policies.rules[0])` or `default (session.lifetimeMinutes)`. */
export function describeSource(source: PartSource): string {
  return 'rule' in source ? `rule "${source.rule}" (policies.rules[${source.index}])` : `default (${source.default})`;
}

/**
 * Whether the client's network lets this sign-in skip the second factor, and why, in the words
 * the audit record keeps ("trusted network 10.0.0.0/8").
 */
export function networkSkip(networks: TrustedNetworks | null, matched: string | null): string | null {
  if (!networks) return null;
  if (networks.mode === 'skip-inside') return matched ? `trusted network ${matched}` : null;
  return matched ? null : `outside the networks that require a second factor (${networks.networks.join(', ')})`;
}
