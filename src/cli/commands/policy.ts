/**
 * `factorgate policy explain --user U --app A [--ip IP]`: the effective policy of a user at a
 * relying party or app, computed by the same function the challenge engine uses. The user's
 * groups come from the directory (as the next sign-in will see them), else from the store.
 */
import { parseArgs } from 'node:util';
import { type CliContext, UsageError, loadCliConfig } from '../cli-context.js';
import { openStore } from '../../store/store.js';
import { UserRepository } from '../../users/user-repository.js';
import { systemClock } from '../../kit/clock.js';
import { createDirectory } from '../../host/create-directory.js';
import { effectivePolicy } from '../../policy/effective-policy.js';
import { explainPolicy } from '../../policy/explain.js';
import { isCidr } from '../../policy/config.js';
import { storeOptions } from './users.js';

export const usage = 'policy explain --user NAME --app APP [--ip ADDRESS] [--config FILE]   the effective policy of a user at an app, and which rule gave each part';

export async function run(ctx: CliContext): Promise<number> {
  const [sub, ...rest] = ctx.args;
  if (sub !== 'explain') throw new UsageError(`unknown policy command "${sub ?? ''}"`);
  const { values } = parseArgs({ args: rest, options: { config: { type: 'string' }, user: { type: 'string' }, app: { type: 'string' }, ip: { type: 'string' } }, strict: true });
  if (!values.user) throw new UsageError('policy explain needs --user NAME');
  if (!values.app) throw new UsageError('policy explain needs --app APP (a relying party or app name)');
  if (values.ip !== undefined && (values.ip.includes('/') || !isCidr(values.ip))) throw new UsageError(`--ip: "${values.ip}" is not an IP address`);
  const loaded = await loadCliConfig(values.config);
  const config = loaded.host;

  let groups: readonly string[] | undefined;
  const directory = createDirectory(config.directory);
  try {
    groups = (await directory.find(values.user))?.groups;
  } catch (err) {
    ctx.stderr.write(`factorgate: the directory did not answer (${err instanceof Error ? err.message : String(err)}); using the groups stored at the last sign-in\n`);
  } finally {
    await directory.close();
  }
  if (groups === undefined) {
    const store = await openStore(storeOptions(config));
    try {
      const user = await new UserRepository(store.db, systemClock).findByUsername(values.user);
      if (!user) {
        ctx.stderr.write(`factorgate: no user "${values.user}" in the directory or the store\n`);
        return 1;
      }
      groups = user.groups ?? [];
    } finally {
      await store.close();
    }
  }
  const policy = effectivePolicy(config.policies.rules, { app: values.app, adapter: values.app, groups }, {
    enrolment: config.challenge.enrolmentPolicy,
    enrolmentSource: 'challenge.enrolmentPolicy, unless the adapter sets one for this app',
    sessionMinutes: config.session.lifetimeMinutes,
  });
  ctx.stdout.write(explainPolicy({ username: values.user, app: values.app, groups, policy, clientIp: values.ip }));
  return 0;
}
