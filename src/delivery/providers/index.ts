/** Builds the provider a configuration names. */
import type { ProviderConfig } from '../config.js';
import { createConsoleProvider } from './console.js';
import { createHttpProvider } from './http.js';
import { createTwilioProvider } from './twilio.js';
import type { MessageProvider, ProviderDeps } from './types.js';

export function createMessageProvider(config: ProviderConfig, deps: ProviderDeps): MessageProvider {
  switch (config.type) {
    case 'console':
      return createConsoleProvider(config, deps);
    case 'http':
      return createHttpProvider(config, deps);
    case 'twilio':
      return createTwilioProvider(config, deps);
  }
}

export type { CallRequest, MessageProvider, ProviderDeps, SentMessage, SmsRequest, FetchFn, SleepFn } from './types.js';
export { createConsoleProvider } from './console.js';
export { createHttpProvider, renderBodyTemplate, signBody } from './http.js';
export { createTwilioProvider, buildTwiml, verifyTwilioSignature, xmlEscape } from './twilio.js';
