/** The embed adapter's name (audit, logs, challenges) and where the host mounts its routes. */
export const ADAPTER_NAME = 'embed';
export const MOUNT_PATH = '/embed';
