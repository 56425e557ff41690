/** The scenarios `npm run bench` runs, in order. */
import type { Scenario } from './scenario.js';
import { startupScenario } from './startup.js';
import { ssoResponseScenario } from './sso-response.js';
import { ssoWorkersScenario } from './sso-workers.js';
import { ssoUnderSprayScenario } from './sso-under-spray.js';
import { ssoPeerScenario } from './sso-peer.js';
import { fullSigninScenario } from './full-signin.js';
import { memoryScenario } from './memory.js';
import { authnRequestValidationScenario, auditReportScenario, formsProxyScenario, ldapImportScenario, samlSigningScenario, tokensImportScenario, usersNotifyScenario, wsFedSigningScenario, radiusScenario } from './components.js';

export const scenarios: Scenario[] = [samlSigningScenario, authnRequestValidationScenario, wsFedSigningScenario, formsProxyScenario, ldapImportScenario, tokensImportScenario, usersNotifyScenario, auditReportScenario, startupScenario, ssoResponseScenario, ssoWorkersScenario, ssoPeerScenario, ssoUnderSprayScenario, fullSigninScenario, radiusScenario, memoryScenario];
