/**
 * What the phone channels need to file a "this wasn't me" report (issue 20): `0` on a
 * press-pound call, a FRAUD reply to a text. The host passes src/fraud's `FraudReports` (a floor
 * above the factors, so it is injected, never imported): the same row, audit, admin mail and
 * block as the challenge page's button and the mailed link.
 */
export interface ChallengeFraudReporter {
  reportChallenge(input: { challengeId: string; method: string | null; channel: 'voice' | 'sms'; now: number }): Promise<{ ok: true; blocked: boolean } | { ok: false; reason: string }>;
}
