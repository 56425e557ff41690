/**
 * Demo provider: nothing leaves the machine, the log says what would have been sent. The code
 * itself is logged only with `revealCodes: true`, the one place an OTP may reach a log, which is
 * why the flag is named for what it does and announced with a warning at start-up.
 */
import { randomUUID } from 'node:crypto';
import type { ConsoleProviderConfig } from '../config.js';
import { maskPhone } from '../phone.js';
import type { CallRequest, MessageProvider, ProviderDeps, SentMessage, SmsRequest } from './types.js';

export function createConsoleProvider(config: ConsoleProviderConfig, deps: ProviderDeps): MessageProvider {
  const log = deps.logger.child({ provider: 'console' });
  if (config.revealCodes) {
    log.warn('console provider has revealCodes on: one-time codes are written to this log (demo only, never in production)');
  }
  const sent = (): SentMessage => ({ providerMessageId: `console-${randomUUID()}` });

  return {
    type: 'console',
    async sendSms(req: SmsRequest) {
      const result = sent();
      if (config.revealCodes) {
        log.info({ channel: 'sms', to: req.to, body: req.body, demoRevealedCode: req.code, ...result }, 'demo SMS (not sent)');
      } else {
        log.info({ channel: 'sms', to: maskPhone(req.to), chars: req.body.length, ...result }, 'SMS not sent: console provider');
      }
      return result;
    },
    async placeCall(req: CallRequest) {
      const result = sent();
      const base = { channel: 'voice', mode: req.mode, ...result };
      if (req.mode === 'press-pound') {
        // The callback URL is not logged: it identifies the challenge the key press approves.
        log.info({ ...base, to: maskPhone(req.to) }, 'call not placed: console provider');
      } else if (config.revealCodes) {
        log.info({ ...base, to: req.to, demoRevealedCode: req.code }, 'demo call (not placed)');
      } else {
        log.info({ ...base, to: maskPhone(req.to) }, 'call not placed: console provider');
      }
      return result;
    },
  };
}
