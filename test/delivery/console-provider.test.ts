import { describe, expect, it } from 'vitest';
import { smsProviderConfigSchema, type ConsoleProviderConfig } from '../../src/delivery/config.js';
import { smsText } from '../../src/delivery/messages.js';
import { createMessageProvider } from '../../src/delivery/providers/index.js';
import { captureLog } from './support/capture-log.js';

function consoleProvider(revealCodes?: boolean) {
  const log = captureLog();
  const config = smsProviderConfigSchema.parse({ type: 'console', ...(revealCodes === undefined ? {} : { revealCodes }) });
  const provider = createMessageProvider(config as ConsoleProviderConfig, { logger: log.logger });
  return { provider, log };
}

describe('console provider', () => {
  it('logs that an SMS was not sent, at info, without the code or the whole number', async () => {
    const { provider, log } = consoleProvider();
    const code = '482915';
    const body = smsText(code, { locale: 'en', productName: 'factorgate', ttlSeconds: 300 });
    const sent = await provider.sendSms({ to: '+33612345678', body, code });

    expect(sent.providerMessageId).toMatch(/^console-/);
    const line = log.lines.at(-1)!;
    expect(line.level).toBe(30);
    expect(line.to).toBe('+33 6 •• •• •• 78');
    expect(log.text()).not.toContain(code);
    expect(log.text()).not.toContain('+33612345678');
  });

  it('does not log a read-code call\'s code either', async () => {
    const { provider, log } = consoleProvider(false);
    await provider.placeCall({ to: '+12025550143', mode: 'read-code', code: '917364' });
    expect(log.text()).not.toContain('917364');
  });

  it('does not log a press-pound call\'s callback URL (it names the challenge)', async () => {
    const { provider, log } = consoleProvider(true);
    await provider.placeCall({ to: '+12025550143', mode: 'press-pound', callbackUrl: 'https://mfa.example.com/cb/secret-token' });
    expect(log.text()).not.toContain('secret-token');
  });

  it('reveals codes only with the demo flag, and warns that it is on', async () => {
    const { provider, log } = consoleProvider(true);
    expect(log.lines[0]).toMatchObject({ level: 40 });
    expect(String(log.lines[0]!.msg)).toContain('demo only');

    await provider.sendSms({ to: '+33612345678', body: 'x', code: '102938' });
    await provider.placeCall({ to: '+33612345678', mode: 'read-code', code: '564738' });
    const [sms, call] = log.lines.slice(1);
    expect(sms).toMatchObject({ level: 30, demoRevealedCode: '102938' });
    expect(call).toMatchObject({ level: 30, demoRevealedCode: '564738' });
  });
});
