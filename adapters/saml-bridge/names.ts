/** The SAML bridge's name (audit, logs) and where the host mounts its routes. */
export const ADAPTER_NAME = 'saml-bridge';
export const MOUNT_PATH = '/saml/bridge';
