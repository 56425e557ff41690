/**
 * The floors of factorgate, bottom first: the one list of how its folders may depend on each
 * other (docs/architecture.md explains it; test/architecture/folder-order.test.ts holds the code
 * to it). A folder imports only folders on floors below its own; folders on one floor are
 * independent of each other. A new folder of src/ goes on the lowest floor above everything it
 * imports; the test fails until it is listed.
 */
export const FLOORS: readonly (readonly string[])[] = [
  // The kit: leaves that import nothing of factorgate (errors, clock, durations, i18n, pages, XML, OTP, hashing),
  // and the policy rules (schema, effective policy, networks: pure functions the config and the engine share).
  ['src/kit', 'src/xml', 'src/otp', 'src/hashing', 'src/policy'],
  // Storage, then what stands on it alone.
  ['src/store'],
  ['src/delivery', 'src/directory'],
  ['src/tokens', 'src/config'],
  // The HostApi contract (types the domain modules and adapters share).
  ['src/api'],
  // Domain modules (src/http: cookies, CSRF, browser sessions).
  ['src/users', 'src/audit', 'src/saml', 'src/http'],
  ['src/regulation', 'src/factors', 'src/primary-auth', 'src/devices'],
  // Enrolment mails (plan and send): config, factors' addresses, delivery.
  ['src/fraud', 'src/enrolment'],
  ['src/challenge'],
  ['src/portal'],
  ['src/login'],
  ['src/admin', 'src/keys'],
  // The public SDK, the adapters written against it alone, the composition root, the command.
  // src/express (`factorgate/express`) runs inside apps: it talks HTTP to factorgate and imports
  // nothing of it (test/express/isolation.test.ts holds it to that).
  ['src/sdk', 'src/express'],
  ['adapters'],
  ['src/host'],
  ['src/cli'],
];

/** The one file of src/ that adapters may import (the package's `factorgate/adapter`). */
export const SDK_ENTRY = 'src/sdk/adapter.ts';

/**
 * One XML parser for everything factorgate reads (src/xml: no DTD, warnings are errors); the
 * SAML core verifies signatures with xml-crypto and then reads only what src/xml re-parsed.
 * The ws-fed demo relying party stands for an outside peer, so it verifies on its own.
 */
export const PACKAGE_OWNERS: Readonly<Record<string, readonly string[]>> = {
  '@xmldom/xmldom': ['src/xml/'],
  'xml-crypto': ['src/saml/signature/', 'adapters/ws-fed/demo-rp.ts'],
};
