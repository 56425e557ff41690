import { z } from 'zod';

export const fileDirectoryConfigSchema = z.strictObject({
  type: z.literal('file').describe('Users in a YAML file (demo and small sites).'),
  path: z.string().min(1).describe('The YAML users file (relative paths from the configuration file\'s folder). Default: <dataDir>/demo-users.yaml, generated.'),
});

export type FileDirectoryConfig = z.output<typeof fileDirectoryConfigSchema>;
