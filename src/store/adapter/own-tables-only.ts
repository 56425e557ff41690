/**
 * What keeps an adapter to its own tables: a Kysely plugin on the adapter's handle that looks at
 * every query before it is compiled and refuses any table whose name does not start with the
 * adapter's prefix (`forms_proxy_` for `forms-proxy`), any schema-qualified table, and raw SQL
 * (which could name anything). A foreign key may still reference a core table (`users.id`):
 * it reads nothing. This is a contract check against mistakes and sloppy plugins, not a sandbox:
 * code in the host's process can always open the database file itself.
 */
import type { KyselyPlugin, OperationNode, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import { FactorgateError } from '../../kit/errors.js';

/** `forms-proxy` → `forms_proxy`: the prefix (plus `_`) every table of the adapter starts with. */
export function tablePrefix(adapterName: string): string {
  return adapterName.replace(/-/g, '_');
}

function refuse(adapter: string, what: string): never {
  throw new FactorgateError('FORBIDDEN', { detail: `adapter ${adapter} may only use its own tables (${tablePrefix(adapter)}_*): ${what}` });
}

function check(node: unknown, adapter: string, prefix: string): void {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const n of node) check(n, adapter, prefix);
    return;
  }
  const kind = (node as { kind?: unknown }).kind;
  if (kind === 'ReferencesNode') return;
  if (kind === 'RawNode') refuse(adapter, 'raw SQL is not allowed on an adapter handle');
  if (kind === 'TableNode') {
    const table = (node as { table: { schema?: { name: string }; identifier: { name: string } } }).table;
    if (table.schema) refuse(adapter, `schema-qualified table ${table.schema.name}.${table.identifier.name}`);
    if (!table.identifier.name.startsWith(prefix)) refuse(adapter, `table ${table.identifier.name}`);
    return;
  }
  for (const value of Object.values(node)) if (value !== null && typeof value === 'object') check(value, adapter, prefix);
}

export class OwnTablesOnly implements KyselyPlugin {
  readonly #adapter: string;
  readonly #prefix: string;

  constructor(adapterName: string) {
    this.#adapter = adapterName;
    this.#prefix = `${tablePrefix(adapterName)}_`;
  }

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    check(args.node as OperationNode, this.#adapter, this.#prefix);
    return args.node;
  }

  transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return Promise.resolve(args.result);
  }
}
