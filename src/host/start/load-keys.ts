import { resolve } from 'node:path';
import { previousKeyGraceMs, secretKeysFor } from '../../keys/secret-keys.js';
import { SecretBox } from '../../store/secret-box.js';
import { loadOrCreateDevSigningKeys, signingKeysFrom } from '../bootstrap/signing-keys.js';
import type { StartStep } from './start-context.js';

/** Keys come first: the secret box seals before the store is opened, and signing keys are configured or generated for the demo. */
export const loadKeys: StartStep = async (ctx) => {
  const { config, clock } = ctx;
  ctx.keys = secretKeysFor(config);
  ctx.secrets = new SecretBox(ctx.keys, clock);
  ctx.derivedKeyOptions = { clock, graceMs: previousKeyGraceMs(config), since: clock.now() };
  ctx.signing = config.signing
    ? signingKeysFrom(config.signing.keys)
    : await loadOrCreateDevSigningKeys(ctx.devCertsDir ?? resolve(config.configFile ? resolve(config.configFile, '..') : process.cwd(), 'certs/dev'));
};
