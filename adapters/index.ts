/**
 * The adapters this build ships. The host core knows none of them by name: the CLI hands this
 * list to `createHost`, which registers them and runs those whose configuration section is present.
 */
import type { AdapterDefinition } from '../src/sdk/adapter.js';
import { samlIdpAdapter } from './saml-idp/index.js';
import { formsProxyAdapter } from './forms-proxy/index.js';
import { radiusAdapter } from './radius/index.js';
import { samlBridgeAdapter } from './saml-bridge/index.js';
import { wsFedAdapter } from './ws-fed/index.js';
import { forwardAuthAdapter } from './forward-auth/index.js';
import { embedAdapter } from './embed/index.js';

export const builtinAdapters: AdapterDefinition[] = [samlIdpAdapter as AdapterDefinition, formsProxyAdapter as AdapterDefinition, samlBridgeAdapter as AdapterDefinition, wsFedAdapter as AdapterDefinition, radiusAdapter as AdapterDefinition, forwardAuthAdapter as AdapterDefinition, embedAdapter as AdapterDefinition];
