/**
 * Backup codes behind the `Factor` interface (issue 19): "Use a backup code" on the challenge
 * page. The method exists while the user's current set has an unused code; each accepted code
 * is spent (see `BackupCodes.consume`) and the use is audited with the count left, so a user
 * (and an administrator) can tell when a set runs low or was used by someone else.
 */
import type { AuditApi } from '../api/host-api.js';
import { addMessages, t, type Locale } from '../kit/i18n.js';
import type { FactorRow } from '../store/schema.js';
import { BACKUP_CODE_KIND, normalizeBackupCode, type BackupCodes } from './backup-codes.js';
import type { Factor, FactorVerifyResult } from './factor.js';

addMessages('en', {
  'backupCode.label': 'Backup code',
  'mfa.useMethod.backup-code': 'Use a backup code',
  'backupCode.prompt': 'Enter one of your backup codes (10 digits). Each code works once.',
});
addMessages('fr', {
  'backupCode.label': 'Code de secours',
  'mfa.useMethod.backup-code': 'Utiliser un code de secours',
  'backupCode.prompt': 'Saisissez l’un de vos codes de secours (10 chiffres). Chaque code ne sert qu’une fois.',
});

/** Unused codes left, as kept on the method row. */
export function backupCodesLeft(row: FactorRow): number {
  try {
    const p = JSON.parse(row.params) as { remaining?: unknown };
    return typeof p.remaining === 'number' ? p.remaining : 0;
  } catch {
    return 0;
  }
}

export function createBackupCodeFactor(deps: { codes: Pick<BackupCodes, 'consume'>; audit?: AuditApi }): Factor {
  return {
    kind: BACKUP_CODE_KIND,
    label: (locale: Locale) => t(locale, 'backupCode.label'),
    prompt: (locale: Locale) => t(locale, 'backupCode.prompt'),
    isEnrolled: (row) => row.kind === BACKUP_CODE_KIND && row.confirmed === 1 && backupCodesLeft(row) > 0,

    async verify({ user, code, now, challengeId }): Promise<FactorVerifyResult> {
      const digits = normalizeBackupCode(code);
      if (digits === null) return { ok: false, reason: 'MALFORMED' };
      const r = await deps.codes.consume(user.id, digits, now);
      if (!r.ok) return r;
      await deps.audit?.record({ event: 'backup-code-used', result: 'info', user, method: BACKUP_CODE_KIND, challengeId, detail: `${r.remaining} left` });
      return { ok: true };
    },
  };
}
