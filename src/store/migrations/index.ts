/**
 * Every migration, in order. Names sort in the order they run; each feature adds its own file
 * and one line here. Migrations are never edited once released: add a new one instead.
 */
import type { Migration } from 'kysely';
import * as m001 from './001-initial.js';
import * as m004 from './004-oath-tokens.js';
import * as m005 from './005-delivered-codes.js';
import * as m007 from './007-forms-proxy.js';
import * as m008 from './008-saml-bridge.js';
import * as m009 from './009-regulation.js';
import * as m016 from './016-adapter-state.js';
import * as m020 from './020-admin.js';
import * as m021 from './021-admin-api-tokens.js';
import * as m022 from './022-backup-codes.js';
import * as m023 from './023-app-passwords.js';
import * as m024 from './024-admin-console.js';
import * as m025 from './025-audit-report-indexes.js';
import * as m026 from './026-users-redundant-indexes.js';
import * as m028 from './028-policies.js';
import * as m029 from './029-sqlite-duplicate-user-indexes.js';

export const migrations: Record<string, Migration> = {
  '001-initial': m001,
  '004-oath-tokens': m004,
  '005-delivered-codes': m005,
  '007-forms-proxy': m007,
  '008-saml-bridge': m008,
  '009-regulation': m009,
  '016-adapter-state': m016,
  '020-admin': m020,
  '021-admin-api-tokens': m021,
  '022-backup-codes': m022,
  '023-app-passwords': m023,
  '024-admin-console': m024,
  '025-audit-report-indexes': m025,
  '026-users-redundant-indexes': m026,
  '028-policies': m028,
  '029-sqlite-duplicate-user-indexes': m029,
};
