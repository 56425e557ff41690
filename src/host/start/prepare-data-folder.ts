import { ensurePrivateDir } from '../../store/private-files.js';
import { ensureDemoUsers } from '../bootstrap/demo-users.js';
import type { StartStep } from './start-context.js';

/** The data folder is factorgate's own: created, or tightened, to 0700 before anything is written. */
export const prepareDataFolder: StartStep = async (ctx) => {
  const { config, logger } = ctx;
  try {
    const data = ensurePrivateDir(config.dataDir);
    if (data.tightened) logger.warn({ dataDir: config.dataDir }, 'the data folder was readable by others; its mode is now 0700');
    if (data.leftOpen) logger.warn({ dataDir: config.dataDir, reason: data.leftOpen }, 'the data folder is readable by others and was left so; choose a private dataDir');
  } catch (err) {
    // Not fatal here: a PostgreSQL host with configured keys writes nothing there; what does
    // need the folder fails later with its own error.
    logger.warn({ dataDir: config.dataDir, err }, 'the data folder cannot be created or made private');
  }
  ctx.demoCredentials = config.demo && config.directory.type === 'file' ? await ensureDemoUsers(config.directory.path) : [];
};
