/**
 * The OpenAPI document against the routes the router really mounts (every route documented,
 * every documented operation mounted, roles as documented), served at its path, and valid
 * OpenAPI 3.1 by an independent validator (@seriousme/openapi-schema-validator).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Router } from 'express';
import { Validator } from '@seriousme/openapi-schema-validator';
import { createAdminApiRouter } from '../../../src/admin/api/admin-api.js';
import { apiRoutes } from '../../../src/admin/api/api-routes.js';
import { openApiDocument } from '../../../src/admin/api/openapi.js';
import { openStore, type Store } from '../../../src/store/store.js';
import { SecretBox } from '../../../src/store/secret-box.js';
import { AuditLog } from '../../../src/audit/audit-log.js';
import { createLogger } from '../../../src/audit/logger.js';
import { createRegulator } from '../../../src/regulation/regulator.js';
import { ManualClock } from '../../../src/kit/clock.js';
import { rootConfigSchema } from '../../../src/config/schema.js';
import { startHost, type RunningHost } from '../../support/host-harness.js';
import { tempDbFile } from '../../challenge/harness.js';
import { TokenRepository } from '../../../src/tokens/token-repository.js';
import { UserAdmin } from '../../../src/admin/user-admin.js';
import { ApiTokens } from '../../../src/admin/api-tokens.js';

let store: Store;
let router: Router;

beforeAll(async () => {
  store = await openStore({ driver: 'sqlite', file: tempDbFile() });
  const clock = new ManualClock();
  const logger = createLogger({ level: 'silent' });
  const audit = new AuditLog(store.db, clock, logger);
  const config = rootConfigSchema.parse({});
  const tokens = new TokenRepository(store.db, new SecretBox([{ id: 'k1', key: Buffer.alloc(32, 9) }], clock), clock);
  router = createAdminApiRouter({
    db: store.db,
    clock,
    audit,
    regulation: createRegulator({ config: config.regulation, db: store.db, clock, audit, logger }),
    logger,
    userAdmin: new UserAdmin({ db: store.db, clock, audit, config, tokens }),
    tokens,
    apiTokens: new ApiTokens(store.db, clock, Buffer.alloc(32, 1)),
    maxBodyBytes: 65_536,
  });
});

afterAll(async () => {
  await store?.close();
});

/** `/users/:username` → `/users/{username}`. */
const toOpenApiPath = (p: string) => p.replace(/:(\w+)/g, '{$1}');

function mounted(r: Router): string[] {
  const out: string[] = [];
  for (const layer of r.stack) {
    const route = (layer as { route?: { path: string; methods: Record<string, boolean> } }).route;
    if (!route) continue;
    for (const m of Object.keys(route.methods)) if (route.methods[m]) out.push(`${m} ${toOpenApiPath(route.path)}`);
  }
  return out.sort();
}

function documented(): string[] {
  const out: string[] = [];
  for (const [path, item] of Object.entries(openApiDocument.paths)) {
    for (const m of ['get', 'post', 'put', 'patch', 'delete']) if (m in item) out.push(`${m} ${path}`);
  }
  return out.sort();
}

describe('OpenAPI document', () => {
  it('documents exactly the routes the router mounts', () => {
    const routes = mounted(router);
    expect(routes.length).toBeGreaterThan(10);
    expect(documented()).toEqual(routes);
  });

  it('states the role each route enforces', () => {
    for (const r of apiRoutes({} as never)) {
      const item = (openApiDocument.paths as Record<string, Record<string, { 'x-factorgate-role'?: string }>>)[toOpenApiPath(r.path)]!;
      expect(item[r.method]!['x-factorgate-role'], `${r.method} ${r.path}`).toBe(r.role);
    }
  });

  it('is valid OpenAPI 3.1', async () => {
    const validator = new Validator();
    const result = await validator.validate(JSON.parse(JSON.stringify(openApiDocument)) as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('catches a route missing from the document (the check can fail)', () => {
    const trimmed = { ...openApiDocument.paths } as Record<string, unknown>;
    delete trimmed['/audit'];
    const docPaths = Object.keys(trimmed);
    expect(mounted(router).some((m) => !docPaths.includes(m.split(' ')[1]!))).toBe(true);
  });
});

describe('served document', () => {
  let h: RunningHost;
  beforeAll(async () => {
    h = await startHost();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('is served at /admin/api/v1/openapi.json without a token', async () => {
    const res = await fetch(`${h.url}/admin/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(await res.json()).toEqual(JSON.parse(JSON.stringify(openApiDocument)));
  });
});
