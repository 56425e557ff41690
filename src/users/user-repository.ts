/**
 * Users as the store knows them: created from the directory at first sign-in (or by import),
 * refreshed at each sign-in, never deleted by a sync (disabled instead, so enrolment is kept).
 */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database, UserRow } from '../store/schema.js';
import type { DirectoryUser } from '../directory/directory.js';
import type { UserApi, UserRecord } from '../api/host-api.js';
import { toUserRecord } from '../api/user-record.js';
import type { Clock } from '../kit/clock.js';
import { foldUsername } from '../directory/directory.js';
import { directoryColumns } from '../directory/user-columns.js';
import { userKey } from '../store/user-keys.js';
import { prepareQuery, type PreparedQuery } from '../store/prepared-query.js';

/** Kept here too: the mapping moved to src/api so the session lookup can share it. */
export { toUserRecord };

/**
 * What a sign-in refreshes beside the directory columns (issue 20): the groups policy rules
 * match, and the password's change time where the directory tells it (a newer one revokes the
 * user's remembered devices). A directory that says nothing leaves the stored value.
 */
function policyColumns(u: DirectoryUser): Partial<Pick<UserRow, 'groups' | 'password_changed_at'>> {
  return {
    ...(u.groups !== undefined ? { groups: JSON.stringify([...u.groups]) } : {}),
    ...(u.passwordChangedAt !== undefined ? { password_changed_at: u.passwordChangedAt } : {}),
  };
}

export class UserRepository implements UserApi {
  // The two look-ups every sign-in makes, compiled once (see prepared-query.ts).
  readonly #byUsername: PreparedQuery<{ username: string }, UserRow>;
  readonly #byId: PreparedQuery<{ id: string }, UserRow>;
  // The sign-in's refresh of the user from the directory, compiled once (per set of columns).
  readonly #byExternalId: PreparedQuery<{ externalId: string }, UserRow>;
  readonly #refresh = new Map<string, PreparedQuery<Record<string, unknown>, UserRow>>();
  readonly #touch = new Map<string, PreparedQuery<Record<string, unknown>, UserRow>>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {
    this.#byUsername = prepareQuery(db, (q, p) => q.selectFrom('users').selectAll().where('username', '=', p('username')));
    this.#byId = prepareQuery(db, (q, p) => q.selectFrom('users').selectAll().where('id', '=', p('id')));
    this.#byExternalId = prepareQuery(db, (q, p) => q.selectFrom('users').selectAll().where('external_id', '=', p('externalId')));
  }

  /**
   * `UPDATE users SET <columns> WHERE <by> = ? RETURNING *`, compiled once per key and set of
   * columns (Kysely leaves undefined values out, so the set is the shape); the key's value is the
   * parameter `match`, which is no column name.
   */
  #refreshOf(by: 'id' | 'external_id', columns: string[]): PreparedQuery<Record<string, unknown>, UserRow> {
    const shape = `${by}:${columns.join(',')}`;
    let q = this.#refresh.get(shape);
    if (!q) {
      q = prepareQuery<Record<string, unknown>, UserRow>(this.db, (db, p) =>
        db
          .updateTable('users')
          .set(Object.fromEntries(columns.map((c) => [c, p(c)])))
          .where(by, '=', p('match'))
          .returningAll(),
      );
      this.#refresh.set(shape, q);
    }
    return q;
  }

  /**
   * `UPDATE users SET updated_at, last_sign_in_at WHERE external_id = ? AND <each column> IS NOT
   * DISTINCT FROM ? RETURNING *`: the sign-in of a user whose directory values are those stored
   * already (the usual case) writes the two time columns only. Setting the directory columns
   * rewrites the entries of every index on them even when no value changed (on SQLite: username,
   * external id and the `lower()` look-ups, src/store/user-keys.ts), so this writes one page
   * instead of one per index besides. No row when a value differs: the caller then runs the full
   * refresh, so a user whose directory values changed costs one statement more than before this
   * shortcut (this one, then the full refresh); an unchanged one, the usual case, costs one.
   */
  #touchIfUnchanged(columns: string[]): PreparedQuery<Record<string, unknown>, UserRow> {
    const shape = columns.join(',');
    let q = this.#touch.get(shape);
    if (!q) {
      q = prepareQuery<Record<string, unknown>, UserRow>(this.db, (db, p) => {
        let u = db.updateTable('users').set({ updated_at: p('updated_at'), last_sign_in_at: p('last_sign_in_at') }).where('external_id', '=', p('match'));
        for (const c of columns) u = u.where(c as keyof UserRow, 'is not distinct from', p(c));
        return u.returningAll();
      });
      this.#touch.set(shape, q);
    }
    return q;
  }

  async findByUsername(username: string): Promise<UserRecord | null> {
    const row = (await this.#byUsername.run({ username: foldUsername(username) })).rows[0];
    return row ? toUserRecord(row) : null;
  }

  async findById(id: string): Promise<UserRecord | null> {
    const row = (await this.#byId.run({ id })).rows[0];
    return row ? toUserRecord(row) : null;
  }

  async findOneBy(field: 'username' | 'upn' | 'email', value: string): Promise<UserRecord | null> {
    if (value === '' || value.length > 1024) return null;
    if (field === 'username') return this.findByUsername(value);
    // The database's lower() on both sides (one folding rule), on the indexed key (user-keys.ts).
    const rows = await this.db
      .selectFrom('users')
      .selectAll()
      .where(userKey(this.db, field), '=', sql<string>`lower(${value})`)
      .limit(2)
      .execute();
    return rows.length === 1 ? toUserRecord(rows[0]!) : null;
  }

  async upsertFromDirectory(user: DirectoryUser, source: string): Promise<UserRecord> {
    const now = this.clock.now();
    const cols = { ...directoryColumns(user), ...policyColumns(user) };
    const values: Record<string, unknown> = Object.fromEntries(Object.entries({ ...cols, source, updated_at: now, last_sign_in_at: now }).filter(([, v]) => v !== undefined));
    if (cols.password_changed_at === undefined) {
      // The usual sign-in: a known user, and no password change to compare with the stored one.
      // One UPDATE … WHERE external_id (unique) RETURNING the row, atomic by itself: no
      // transaction, no look-up first; only the sign-in times when nothing else changed. A new
      // user, or one whose id changed, takes the path below.
      const compared = Object.keys(values).filter((c) => c !== 'updated_at' && c !== 'last_sign_in_at');
      const same = (await this.#touchIfUnchanged(compared).run({ ...values, match: cols.external_id })).rows[0];
      if (same) return toUserRecord(same);
      const refreshed = (await this.#refreshOf('external_id', Object.keys(values)).run({ ...values, match: cols.external_id })).rows[0];
      if (refreshed) return toUserRecord(refreshed);
    }
    return this.db.transaction().execute(async (trx) => {
      const existing = (await this.#byExternalId.run({ externalId: cols.external_id }, trx)).rows[0] ?? (await this.#byUsername.run({ username: cols.username }, trx)).rows[0];
      if (existing) {
        const changed = cols.password_changed_at;
        if (changed !== undefined && changed !== null && existing.password_changed_at !== null && changed > existing.password_changed_at) {
          // The password changed in the directory: devices remembered before it no longer count.
          await trx
            .updateTable('remembered_devices')
            .set({ revoked_at: now, revoked_reason: 'password-change' })
            .where('user_id', '=', existing.id)
            .where('revoked_at', 'is', null)
            .execute();
        }
        await this.#refreshOf('id', Object.keys(values)).run({ ...values, match: existing.id }, trx);
        return toUserRecord({ ...existing, ...cols, source, updated_at: now, last_sign_in_at: now });
      }
      const row: UserRow = {
        id: randomUUID(),
        ...cols,
        source,
        failed_attempts: 0,
        locked_until: null,
        created_at: now,
        updated_at: now,
        last_sign_in_at: now,
        admin_disabled: 0,
        groups: null,
        password_changed_at: null,
        fraud_blocked_at: null,
        ...policyColumns(user),
      };
      await trx.insertInto('users').values(row).execute();
      return toUserRecord(row);
    });
  }

  async list(limit = 1000, offset = 0): Promise<UserRow[]> {
    return this.db.selectFrom('users').selectAll().orderBy('username').limit(limit).offset(offset).execute();
  }

  /** Clears the lockout of a user; false when there is no such user. */
  async unlock(username: string): Promise<boolean> {
    const r = await this.db
      .updateTable('users')
      .set({ failed_attempts: 0, locked_until: null, updated_at: this.clock.now() })
      .where('username', '=', foldUsername(username))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }
}
