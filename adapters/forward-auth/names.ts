/** Where the host mounts the forward-auth routes. */
export const MOUNT_PATH = '/forward-auth';
