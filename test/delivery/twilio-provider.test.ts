import { afterEach, describe, expect, it } from 'vitest';
import { FactorgateError } from '../../src/kit/errors.js';
import { voiceProviderConfigSchema, type TwilioProviderConfig } from '../../src/delivery/config.js';
import { createMessageProvider } from '../../src/delivery/providers/index.js';
import { buildTwiml, verifyTwilioSignature, xmlEscape } from '../../src/delivery/providers/twilio.js';
import { captureLog } from './support/capture-log.js';
import { startRecorder, type Recorder, type Reply } from './support/recording-server.js';

const SID = 'AC0123456789abcdef0123456789abcdef';
const TOKEN = 'twilio-auth-token-secret';
let recorder: Recorder | undefined;
afterEach(async () => {
  await recorder?.close();
  recorder = undefined;
});

async function setup(reply: (i: number) => Reply, extra: Record<string, unknown> = {}) {
  recorder = await startRecorder((_, i) => reply(i));
  const config = voiceProviderConfigSchema.parse({
    type: 'twilio',
    accountSid: SID,
    authToken: TOKEN,
    from: '+15005550006',
    baseUrl: recorder.url,
    ...extra,
  }) as TwilioProviderConfig;
  const log = captureLog();
  const sleeps: number[] = [];
  const provider = createMessageProvider(config, {
    logger: log.logger,
    sleep: async (ms) => void sleeps.push(ms),
    productName: 'Acme <MFA> & "Co"',
  });
  return { provider, requests: recorder.requests, log, sleeps };
}

const created = (sid: string): Reply => ({ status: 201, body: JSON.stringify({ sid, status: 'queued' }) });

describe('twilio provider', () => {
  it('sends an SMS through the Messages API: path, basic auth, form fields', async () => {
    const { provider, requests } = await setup(() => created('SM0001'));
    const sent = await provider.sendSms({ to: '+33612345678', body: '123456 is your code & more', code: '123456' });

    expect(sent.providerMessageId).toBe('SM0001');
    const req = requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe(`/2010-04-01/Accounts/${SID}/Messages.json`);
    expect(req.headers['authorization']).toBe(`Basic ${Buffer.from(`${SID}:${TOKEN}`).toString('base64')}`);
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const form = new URLSearchParams(req.body);
    expect(Object.fromEntries(form)).toEqual({ To: '+33612345678', From: '+15005550006', Body: '123456 is your code & more' });
  });

  it('uses MessagingServiceSid when the sender is a Messaging Service', async () => {
    const { provider, requests } = await setup(() => created('SM0002'), { from: 'MG0123456789abcdef0123456789abcdef' });
    await provider.sendSms({ to: '+33612345678', body: 'b' });
    const form = new URLSearchParams(requests[0]!.body);
    expect(form.get('MessagingServiceSid')).toBe('MG0123456789abcdef0123456789abcdef');
    expect(form.has('From')).toBe(false);
  });

  it('places a read-code call whose TwiML says the code digit by digit, escaped', async () => {
    const { provider, requests } = await setup(() => created('CA0001'));
    const sent = await provider.placeCall({ to: '+12025550143', mode: 'read-code', code: '135790' });
    expect(sent.providerMessageId).toBe('CA0001');

    const req = requests[0]!;
    expect(req.url).toBe(`/2010-04-01/Accounts/${SID}/Calls.json`);
    const form = new URLSearchParams(req.body);
    expect(form.get('To')).toBe('+12025550143');
    expect(form.get('From')).toBe('+15005550006');
    const twiml = form.get('Twiml')!;
    expect(twiml).toBe(
      '<Response><Say language="en-US">Your Acme &lt;MFA&gt; &amp; &quot;Co&quot; code is: 1, 3, 5, 7, 9, 0.</Say>' +
        '<Pause length="1"/><Say language="en-US">I repeat: 1, 3, 5, 7, 9, 0.</Say></Response>',
    );
  });

  it('places a press-pound call that reports the key to the callback (French script)', async () => {
    const { provider, requests } = await setup(() => created('CA0002'));
    const callbackUrl = 'https://mfa.example.com/voice/callback?c=abc&sig=x"y';
    await provider.placeCall({ to: '+33612345678', mode: 'press-pound', callbackUrl, locale: 'fr' });
    const twiml = new URLSearchParams(requests[0]!.body).get('Twiml')!;
    expect(twiml).toContain(
      '<Gather input="dtmf" numDigits="1" finishOnKey="" timeout="10" method="POST" action="https://mfa.example.com/voice/callback?c=abc&amp;sig=x&quot;y">',
    );
    expect(twiml).toContain('<Say language="fr-FR">Ceci est Acme &lt;MFA&gt;');
    expect(twiml).toContain('n&apos;êtes');
    expect(twiml).toMatch(/<\/Gather><Say language="fr-FR">Aucune touche reçue\. Au revoir\.<\/Say><\/Response>$/);
  });

  it('reports Twilio\'s error code and message on 400, without retrying or leaking the token', async () => {
    const { provider, requests, log } = await setup(() => ({
      status: 400,
      body: JSON.stringify({ code: 21211, message: "The 'To' number +3361 is not a valid phone number.", status: 400 }),
    }));
    const err = await provider.sendSms({ to: '+3361', body: 'b 555666', code: '555666' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FactorgateError);
    expect((err as FactorgateError).detail).toContain('twilio error 21211');
    expect(requests).toHaveLength(1);
    expect(log.text()).not.toContain(TOKEN);
    expect((err as FactorgateError).detail).not.toContain(TOKEN);
  });

  it('retries a 500 and then succeeds', async () => {
    const { provider, requests, sleeps } = await setup((i) => (i === 0 ? { status: 500, body: '{}' } : created('SM0003')));
    await provider.sendSms({ to: '+33612345678', body: 'b' });
    expect(requests).toHaveLength(2);
    expect(sleeps).toEqual([500]);
  });
});

describe('TwiML escaping', () => {
  it('escapes the five XML specials and drops characters XML forbids', () => {
    expect(xmlEscape(`<a href="x">'&'</a>\u0000\u0007ok`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;ok');
  });

  it('never puts the code in a press-pound call', () => {
    const twiml = buildTwiml({ to: '+1', mode: 'press-pound', callbackUrl: 'https://x/cb' }, 'en', 'factorgate');
    expect(twiml).not.toMatch(/\d, \d/);
  });
});

describe('Twilio callback signature', () => {
  // The example of Twilio's request-validation documentation.
  const example = {
    authToken: '12345',
    url: 'https://mycompany.com/myapp.php?foo=1&bar=2',
    params: { CallSid: 'CA1234567890ABCDE', Caller: '+14158675309', Digits: '1234', From: '+14158675309', To: '+18005551212' },
  };

  it('accepts the documented example', () => {
    expect(verifyTwilioSignature({ ...example, signature: 'RSOYDt4T1cUTdK1PDd93/VVr8B8=' })).toBe(true);
  });

  it('refuses a changed parameter, URL or token, and a missing signature', () => {
    const signature = 'RSOYDt4T1cUTdK1PDd93/VVr8B8=';
    expect(verifyTwilioSignature({ ...example, signature, params: { ...example.params, Digits: '#' } })).toBe(false);
    expect(verifyTwilioSignature({ ...example, signature, url: 'http://mycompany.com/myapp.php?foo=1&bar=2' })).toBe(false);
    expect(verifyTwilioSignature({ ...example, signature, authToken: '54321' })).toBe(false);
    expect(verifyTwilioSignature({ ...example, signature: undefined })).toBe(false);
    expect(verifyTwilioSignature({ ...example, signature: 'short' })).toBe(false);
  });
});
