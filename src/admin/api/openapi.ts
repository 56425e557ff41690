/**
 * The admin API's OpenAPI 3.1 document, served at /admin/api/v1/openapi.json. Written by hand,
 * apart from the route table, on purpose: a test compares the two (every mounted route is
 * documented, every documented route is mounted) and validates this document as OpenAPI 3.1.
 */
import { REPORT_GROUPS, REPORT_NAMES } from '../../audit/report.js';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object) => ({ 'application/json': { schema } });
const str = { type: 'string' };
const strOrNull = { type: ['string', 'null'] };
const dateTime = { type: 'string', format: 'date-time' };
const dateTimeOrNull = { type: ['string', 'null'], format: 'date-time' };

const errors = (...codes: number[]) =>
  Object.fromEntries(
    codes.map((c) => [
      String(c),
      {
        description: { 400: 'Bad input (which field, and why), or an action the state refuses (no such token held)', 401: 'No valid API token', 403: 'The token\'s role may not call this route', 404: 'No such user, method, token or report', 409: 'Conflicts with the current state', 429: 'Too many failed tokens from this address' }[c],
        content: json(ref('Error')),
      },
    ]),
  );
const common = errors(401, 429);

const username = { name: 'username', in: 'path', required: true, description: 'User name (case-insensitive).', schema: str };
const serial = { name: 'serial', in: 'path', required: true, description: 'The token\'s serial number.', schema: str };
const q = (name: string, description: string, schema: object = str) => ({ name, in: 'query', required: false, description, schema });
const reasonOnly = { required: true, content: json(ref('Reason')) };

const action = (summary: string, role: 'helpdesk' | 'admin', extra: object = {}, body: object = reasonOnly, more: number[] = []) => ({
  summary,
  description: `Role: ${role}. Audited as \`admin-action\` by \`api:<token name>\` with the reason.`,
  'x-factorgate-role': role,
  requestBody: body,
  responses: { '200': { description: 'Done', content: json({ allOf: [ref('ActionResult'), { type: 'object', properties: extra }] }) }, ...errors(400, 403, 404, ...more), ...common },
});

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'factorgate admin API',
    version: '1.0.0',
    description:
      'Help-desk and admin operations (issue 18). Authenticate with `Authorization: Bearer <token>` (make one with `factorgate admin token create --name N --role helpdesk|admin`). Errors are JSON `{ "error": CODE, "detail"?: text }`.',
  },
  servers: [{ url: '/admin/api/v1' }],
  security: [{ bearer: [] }],
  paths: {
    '/openapi.json': {
      get: { summary: 'This document', security: [], responses: { '200': { description: 'The OpenAPI 3.1 document', content: json({ type: 'object' }) } } },
    },
    '/users': {
      get: {
        summary: 'Search users',
        description: 'Role: helpdesk. Case-insensitive prefix of user name, UPN, email, display name, phone or mobile; in user name order, a page at a time.',
        'x-factorgate-role': 'helpdesk',
        parameters: [q('q', 'Prefix to look for; empty lists everyone.'), q('limit', 'Page size, 1-100 (default 25).', { type: 'integer', minimum: 1, maximum: 100 }), q('page', 'Page number from 0 (default 0).', { type: 'integer', minimum: 0 })],
        responses: { '200': { description: 'One page', content: json(ref('UserPage')) }, ...errors(400, 403), ...common },
      },
    },
    '/users/{username}': {
      get: {
        summary: 'One user: identity, status, lock, methods, tokens, bypass, last 50 audit records',
        description: 'Role: helpdesk (phone numbers masked; shown in full to admin).',
        'x-factorgate-role': 'helpdesk',
        parameters: [username],
        responses: { '200': { description: 'The user', content: json(ref('UserDetails')) }, ...errors(403, 404), ...common },
      },
    },
    '/users/{username}/unlock': { parameters: [username], post: action('Clear the failure count and the lock', 'helpdesk') },
    '/users/{username}/reset': {
      parameters: [username],
      post: action('Remove every enrolled method (the next sign-in enrols again)', 'helpdesk', { removed: { type: 'object', properties: { methods: { type: 'integer' }, tokens: { type: 'integer' } } } }),
    },
    '/users/{username}/bypass': {
      parameters: [username],
      post: action(
        'Grant a one-time bypass: the next sign-in within `minutes` skips the second factor once',
        'helpdesk',
        { expiresAt: dateTime },
        { required: true, content: json({ type: 'object', required: ['reason'], additionalProperties: false, properties: { reason: ref('ReasonText'), minutes: { type: 'integer', minimum: 1, description: 'Default admin.bypass.defaultMinutes, at most admin.bypass.maxMinutes.' } } }) },
      ),
    },
    '/users/{username}/methods/{methodId}': {
      parameters: [username, { name: 'methodId', in: 'path', required: true, description: 'A method id from the user\'s `methods`.', schema: str }],
      delete: action('Remove one method', 'helpdesk', { methodId: str }),
    },
    '/users/{username}/disable': { parameters: [username], post: action('Disable sign-in (survives directory refreshes)', 'admin') },
    '/users/{username}/enable': { parameters: [username], post: action('Enable sign-in again', 'admin') },
    '/users/{username}/app-passwords/revoke': { parameters: [username], post: action('Revoke every app password of the user', 'helpdesk', { revoked: { type: 'integer' } }) },
    '/users/{username}/tokens': {
      parameters: [username],
      post: action(
        'Assign a hardware token (from stock) to the user',
        'admin',
        { serial: str },
        { required: true, content: json({ type: 'object', required: ['serial', 'reason'], additionalProperties: false, properties: { serial: str, reason: ref('ReasonText') } }) },
      ),
    },
    '/users/{username}/tokens/{serial}': {
      parameters: [username, serial],
      delete: action('Take the user\'s hardware token back into stock', 'admin', { serial: str }),
    },
    '/users/{username}/tokens/{serial}/resync': {
      parameters: [username, serial],
      post: action(
        'Resynchronise the user\'s hardware token from two consecutive codes',
        'helpdesk',
        { serial: str },
        { required: true, content: json({ type: 'object', required: ['code1', 'code2', 'reason'], additionalProperties: false, properties: { code1: { type: 'string', pattern: '^\\d{6,10}$' }, code2: { type: 'string', pattern: '^\\d{6,10}$' }, reason: ref('ReasonText') } }) },
      ),
    },
    '/tokens': {
      get: {
        summary: 'Hardware tokens (stock and assigned)',
        description: 'Role: admin. Secrets are never returned.',
        'x-factorgate-role': 'admin',
        parameters: [q('state', 'Only assigned or unassigned tokens.', { type: 'string', enum: ['assigned', 'unassigned'] }), q('user', 'Only the tokens of this user.')],
        responses: { '200': { description: 'Tokens', content: json({ type: 'object', required: ['tokens'], properties: { tokens: { type: 'array', items: ref('HardwareToken') } } }) }, ...errors(400, 403), ...common },
      },
    },
    '/audit': {
      get: {
        summary: 'Audit records, newest first',
        description: 'Role: helpdesk (phone numbers masked; in full for admin). Keyset paging: pass `next` as `cursor`.',
        'x-factorgate-role': 'helpdesk',
        parameters: [
          q('since', 'ISO 8601 date-time or epoch ms, inclusive.'),
          q('until', 'ISO 8601 date-time or epoch ms, exclusive.'),
          q('user', 'User name.'),
          q('event', 'Event (primary, second-factor, challenge, bypass-used, admin-action, admin-api, …).'),
          q('result', 'Result.', { type: 'string', enum: ['success', 'failure', 'denied', 'info'] }),
          q('method', 'Method (totp, sms, …).'),
          q('adapter', 'Adapter.'),
          q('relyingParty', 'Relying party or app.'),
          q('denyReason', 'Deny reason.'),
          q('limit', 'Page size, 1-500 (default 100).', { type: 'integer', minimum: 1, maximum: 500 }),
          q('cursor', 'The `next` of the previous page.'),
        ],
        responses: { '200': { description: 'One page', content: json(ref('AuditPage')) }, ...errors(400, 403), ...common },
      },
    },
    '/reports/{report}': {
      get: {
        summary: 'A usage or authentication report: counts by result, grouped',
        description: 'Role: helpdesk. Default window: the last 30 days (at most 366).',
        'x-factorgate-role': 'helpdesk',
        parameters: [
          { name: 'report', in: 'path', required: true, schema: { type: 'string', enum: REPORT_NAMES } },
          q('by', 'Grouping (default per report: day, or reason for deny-reasons).', { type: 'string', enum: [...REPORT_GROUPS] }),
          q('since', 'ISO 8601 date-time or epoch ms, inclusive.'),
          q('until', 'ISO 8601 date-time or epoch ms, exclusive.'),
          q('adapter', 'Only this adapter.'),
          q('relyingParty', 'Only this relying party.'),
          q('method', 'Only this method.'),
          q('user', 'Only this user (a per-user history).'),
          q('format', 'json (default) or csv (the same rows as a download).', { type: 'string', enum: ['json', 'csv'] }),
        ],
        responses: {
          '200': { description: 'The report', content: { ...json(ref('Report')), 'text/csv': { schema: { type: 'string' } } } },
          ...errors(400, 403, 404),
          ...common,
        },
      },
    },
  },
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An admin API token (`fgat_…`).' } },
    schemas: {
      Error: { type: 'object', required: ['error'], properties: { error: { type: 'string', description: 'Stable code: BAD_REQUEST, UNAUTHORIZED, FORBIDDEN, NOT_FOUND, RATE_LIMITED, …' }, detail: str } },
      ReasonText: { type: 'string', minLength: 1, maxLength: 500, description: 'Why (stored in the audit record).' },
      Reason: { type: 'object', required: ['reason'], additionalProperties: false, properties: { reason: ref('ReasonText') } },
      ActionResult: { type: 'object', required: ['action', 'username'], properties: { action: str, username: str } },
      UserSummary: {
        type: 'object',
        required: ['username', 'status', 'methods'],
        properties: {
          username: str,
          displayName: strOrNull,
          upn: strOrNull,
          email: strOrNull,
          status: { type: 'string', enum: ['enabled', 'disabled'] },
          lockedUntil: dateTimeOrNull,
          failedAttempts: { type: 'integer' },
          bypassUntil: { ...dateTimeOrNull, description: 'When the waiting one-time bypass ends; null when none.' },
          methods: { type: 'array', items: str },
          lastSignIn: { oneOf: [{ type: 'null' }, { type: 'object', properties: { at: dateTime, event: str, result: str, denyReason: strOrNull } }] },
        },
      },
      UserPage: {
        type: 'object',
        required: ['query', 'page', 'pageSize', 'hasNext', 'users'],
        properties: { query: str, page: { type: 'integer' }, pageSize: { type: 'integer' }, hasNext: { type: 'boolean' }, users: { type: 'array', items: ref('UserSummary') } },
      },
      UserDetails: {
        type: 'object',
        required: ['username', 'status', 'methods', 'tokens', 'history'],
        properties: {
          username: str,
          displayName: strOrNull,
          upn: strOrNull,
          email: strOrNull,
          phone: strOrNull,
          source: str,
          status: { type: 'string', enum: ['enabled', 'disabled'] },
          disabledBy: { type: 'array', items: { type: 'string', enum: ['directory', 'admin'] } },
          failedAttempts: { type: 'integer' },
          lockedUntil: dateTimeOrNull,
          lastSignIn: dateTimeOrNull,
          pinSet: { type: 'boolean' },
          methods: { type: 'array', items: { type: 'object', properties: { id: str, kind: str, label: strOrNull, isDefault: { type: 'boolean' }, confirmed: { type: 'boolean' }, address: strOrNull, createdAt: dateTime, lastUsedAt: dateTimeOrNull } } },
          tokens: { type: 'array', items: { type: 'object', properties: { serial: str, kind: str, disabled: { type: 'boolean' }, lastUsedAt: dateTimeOrNull } } },
          bypass: { oneOf: [{ type: 'null' }, { type: 'object', properties: { expiresAt: dateTime, grantedBy: str, reason: str } }] },
          history: { type: 'array', items: { type: 'object' } },
        },
      },
      HardwareToken: {
        type: 'object',
        properties: { serial: str, kind: { type: 'string', enum: ['hotp', 'totp'] }, digits: { type: 'integer' }, period: { type: 'integer' }, manufacturer: strOrNull, model: strOrNull, username: strOrNull, disabled: { type: 'boolean' }, lastUsedAt: dateTimeOrNull },
      },
      AuditRecord: {
        type: 'object',
        properties: {
          id: str,
          ts: dateTime,
          event: str,
          username: strOrNull,
          givenName: strOrNull,
          surname: strOrNull,
          email: strOrNull,
          phone: strOrNull,
          deviceToken: strOrNull,
          method: strOrNull,
          result: str,
          denyReason: strOrNull,
          serverName: str,
          serverIp: strOrNull,
          clientIp: strOrNull,
          adapter: strOrNull,
          relyingParty: strOrNull,
          detail: strOrNull,
        },
      },
      AuditPage: { type: 'object', required: ['records', 'next'], properties: { records: { type: 'array', items: ref('AuditRecord') }, next: strOrNull } },
      Report: {
        type: 'object',
        required: ['report', 'by', 'since', 'until', 'rows'],
        properties: {
          report: str,
          title: str,
          by: str,
          since: dateTime,
          until: dateTime,
          rows: {
            type: 'array',
            items: { type: 'object', required: ['key', 'success', 'failure', 'denied', 'total'], properties: { key: str, success: { type: 'integer' }, failure: { type: 'integer' }, denied: { type: 'integer' }, total: { type: 'integer' } } },
          },
        },
      },
    },
  },
} as const;
