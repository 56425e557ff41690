/** Where the users pages live (below /admin; the console mounts the page at `/users`). */
export const USERS_PAGE = '/users';
export const USERS_PATH = `/admin${USERS_PAGE}`;

export function userPath(username: string): string {
  return `${USERS_PATH}/${encodeURIComponent(username)}`;
}

export function confirmPath(username: string, action: string, target?: string): string {
  return `${userPath(username)}/confirm/${action}${target ? `?target=${encodeURIComponent(target)}` : ''}`;
}

export function actionPath(username: string, action: string): string {
  return `${userPath(username)}/do/${action}`;
}
