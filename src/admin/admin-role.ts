/**
 * The two admin roles of issue 18: `helpdesk` views users and reports, unlocks, resets, removes
 * a method and grants a bypass; `admin` does all that and more (disable/enable, hardware tokens,
 * API tokens). A role is enough for a route when it is the route's role or above it.
 */
export const ADMIN_ROLES = ['helpdesk', 'admin'] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];

export function isAdminRole(value: unknown): value is AdminRole {
  return (ADMIN_ROLES as readonly unknown[]).includes(value);
}

/** Whether `held` may do what `needed` may. */
export function roleAllows(held: AdminRole, needed: AdminRole): boolean {
  return ADMIN_ROLES.indexOf(held) >= ADMIN_ROLES.indexOf(needed);
}
