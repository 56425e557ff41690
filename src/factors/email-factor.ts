/**
 * Codes by email, to the directory's address, rendered from the `code` mail template (English
 * or French, overridable). The `console` transport is for the demo: it writes to the log what
 * would have been mailed, the code only when `revealCodes` says so. With `fraudLink` the mail
 * carries a "This wasn't me" link (src/fraud/fraud-link.ts).
 */
import type { Mailer } from '../delivery/index.js';
import { addMessages, t } from '../kit/i18n.js';
import { createDeliveredCodeFactor, type DeliveredCodeFactorDeps } from './delivered-code-factor.js';
import type { Factor } from './factor.js';

addMessages('en', {
  'email.label': 'Email',
  'email.prompt': 'Enter the code sent by email to {to}.',
});
addMessages('fr', {
  'email.label': 'E-mail',
  'email.prompt': 'Saisissez le code envoyé par e-mail à {to}.',
});

/** `a••••@example.com`: enough for the owner to recognise, too little to harvest. */
export function maskEmail(address: string): string {
  const at = address.lastIndexOf('@');
  if (at < 1) return '••••';
  return `${address[0]}••••${address.slice(at)}`;
}

/** A deliberately plain check: the mail server is the judge; this only rules out non-addresses. */
export function emailFor(raw: string | null): string | null {
  const a = raw?.trim() ?? '';
  return /^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$/.test(a) && a.length <= 254 ? a : null;
}

export interface EmailFactorDeps extends DeliveredCodeFactorDeps {
  /** SMTP mailer; null with the console transport. */
  mailer: Pick<Mailer, 'sendTemplate'> | null;
  productName: string;
  revealCodes: boolean;
  /** The "This wasn't me" link of a code (`FraudLinks.url`); without it the mail has none. */
  fraudLink?: ((challengeId: string, codeExpiresAt: number) => string) | undefined;
}

export function createEmailFactor(deps: EmailFactorDeps): Factor {
  const log = deps.logger.child({ transport: 'console', channel: 'email' });
  return createDeliveredCodeFactor(deps, {
    kind: 'email',
    mode: 'code',
    address: (user) => emailFor(user.email),
    parse: (raw) => emailFor(raw),
    mask: maskEmail,
    label: (locale) => t(locale, 'email.label'),
    prompt: (locale, to) => t(locale, 'email.prompt', { to: maskEmail(to) }),
    async deliver({ to, code, locale, user, ttlSeconds, challengeId, expiresAt }) {
      const vars = { displayName: user.displayName ?? user.username, productName: deps.productName, code: code!, ttlSeconds, ...(deps.fraudLink ? { fraudUrl: deps.fraudLink(challengeId, expiresAt) } : {}) };
      if (deps.mailer) {
        const sent = await deps.mailer.sendTemplate('code', locale, vars, to);
        return { providerMessageId: sent.messageId };
      }
      if (deps.revealCodes) log.info({ to, demoRevealedCode: code }, 'demo email (not sent)');
      else log.info({ to: maskEmail(to) }, 'email not sent: console transport');
      return { providerMessageId: 'console' };
    },
  });
}
