/**
 * Starts the example app: `npm start` with the settings in the environment.
 *   FACTORGATE_URL          factorgate's public URL (http://127.0.0.1:8080)
 *   FACTORGATE_CLIENT       the client id in factorgate's adapters.embed.clients (intranet)
 *   FACTORGATE_SECRET_FILE  the file holding that client's secret (required)
 *   PORT                    where the app listens on 127.0.0.1 (3000)
 *   APP_USERS               the app's own users, JSON: [{"username":"alice","password":"…"}]
 *   SESSION_SECRET          signs the app's session cookie (random at each start if unset)
 */
import { randomBytes } from 'node:crypto';
import { createApp } from './app.js';

const env = process.env;
if (!env.FACTORGATE_SECRET_FILE) {
  console.error('FACTORGATE_SECRET_FILE is not set: the file with the client secret declared in factorgate (adapters.embed.clients[].secretFile)');
  process.exit(2);
}
if (!env.APP_USERS) {
  console.error('APP_USERS is not set: the app\'s own users as JSON, e.g. [{"username":"alice","password":"a long password"}]');
  process.exit(2);
}
const port = Number(env.PORT ?? 3000);
const app = createApp({
  factorgateUrl: env.FACTORGATE_URL ?? 'http://127.0.0.1:8080',
  client: env.FACTORGATE_CLIENT ?? 'intranet',
  secretFile: env.FACTORGATE_SECRET_FILE,
  sessionSecret: env.SESSION_SECRET ?? randomBytes(32).toString('base64url'),
  users: JSON.parse(env.APP_USERS),
});
app.listen(port, '127.0.0.1', () => console.log(`example app listening at http://127.0.0.1:${port}`));
