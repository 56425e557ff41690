/**
 * Primary authentication providers by name. `password` is the host's own `/login` page; an
 * adapter that signs users in elsewhere (the SAML bridge's `upstream:<name>`) registers itself,
 * and an adapter that needs primary authentication names the provider in its configuration.
 * This is how one adapter uses another without importing it.
 */
import type { LoginApi, PrimaryBeginInput, PrimaryProvider, PrimaryRegistry } from '../api/host-api.js';
import { FactorgateError } from '../kit/errors.js';

export const PASSWORD_PRIMARY = 'password';
const NAME = /^[a-z][a-z0-9-]*(:[A-Za-z0-9._-]+)?$/;

export class PrimaryProviders implements PrimaryRegistry {
  readonly #providers = new Map<string, PrimaryProvider>();

  constructor(password: PrimaryProvider) {
    this.#providers.set(PASSWORD_PRIMARY, password);
  }

  register(name: string, provider: PrimaryProvider): void {
    if (!NAME.test(name)) throw new Error(`primary provider name "${name}" is not of the form kind or kind:name`);
    if (this.#providers.has(name)) throw new Error(`primary provider "${name}" is registered twice`);
    this.#providers.set(name, provider);
  }

  has(name: string): boolean {
    return this.#providers.has(name);
  }

  names(): string[] {
    return [...this.#providers.keys()];
  }

  /** The host's LoginApi: the default primary is the password page. */
  loginApi(): LoginApi {
    return {
      begin: (input: PrimaryBeginInput, primary = PASSWORD_PRIMARY) => {
        const provider = this.#providers.get(primary);
        // Wiring is checked at start-up; reaching this means a provider was removed at run time.
        if (!provider) throw new FactorgateError('INTERNAL', { detail: `no primary provider "${primary}"` });
        return provider.begin(input);
      },
    };
  }
}
