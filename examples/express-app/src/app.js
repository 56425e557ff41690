/**
 * The example app: it signs its users in itself (a password form and passport sessions), and
 * wants factorgate's second factor, at most 8 hours old, for /payroll. Everything factorgate
 * needs is the two lines marked "factorgate".
 */
import { scryptSync, timingSafeEqual } from 'node:crypto';
import express from 'express';
import session from 'express-session';
import passport from 'passport';
import { FactorgateStrategy, requireMfa } from 'factorgate/express';

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (title, body) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title></head><body><h1>${escape(title)}</h1>${body}</body></html>`;

/** The app's own users: name → { displayName, salt, hash } (scrypt). */
export function appUsers(list) {
  return new Map(list.map((u) => {
    const salt = `example-app:${u.username}`;
    return [u.username, { displayName: u.displayName ?? u.username, salt, hash: scryptSync(u.password, salt, 32) }];
  }));
}

function checkPassword(users, username, password) {
  const u = users.get(String(username));
  if (!u) return null;
  const given = scryptSync(String(password), u.salt, 32);
  return timingSafeEqual(given, u.hash) ? { username: String(username), displayName: u.displayName } : null;
}

/**
 * @param {{ factorgateUrl: string, client: string, secretFile: string, sessionSecret: string,
 *           users: Array<{ username: string, password: string, displayName?: string }>, secureCookies?: boolean }} options
 */
export function createApp(options) {
  const users = appUsers(options.users);
  const app = express();
  app.set('trust proxy', false);
  app.use(express.urlencoded({ extended: false }));
  app.use(session({ secret: options.sessionSecret, resave: false, saveUninitialized: false, cookie: { httpOnly: true, sameSite: 'lax', secure: options.secureCookies ?? false } }));
  app.use(passport.initialize());
  app.use(passport.session());
  passport.serializeUser((user, done) => done(null, { username: user.username, displayName: user.displayName }));
  passport.deserializeUser((user, done) => done(null, user));

  // factorgate: the client declared in factorgate's adapters.embed.clients.
  passport.use(new FactorgateStrategy({ url: options.factorgateUrl, client: options.client, secretFile: options.secretFile }));

  const signedIn = (req, res, next) => (req.user ? next() : res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`));

  app.get('/', (req, res) => {
    res.send(page('Example intranet', req.user ? `<p id="who">Signed in as ${escape(req.user.displayName)}.</p><p><a href="/payroll">Payroll</a> · <a href="/logout">Sign out</a></p>` : '<p><a href="/login">Sign in</a></p>'));
  });

  app.get('/login', (req, res) => {
    const next = typeof req.query.next === 'string' && req.query.next.startsWith('/') && !req.query.next.startsWith('//') ? req.query.next : '/';
    res.send(page('Sign in to the example intranet', `<form method="post" action="/login?next=${encodeURIComponent(next)}">
<label>User name <input name="username" autocomplete="username"></label>
<label>Password <input name="password" type="password" autocomplete="current-password"></label>
<button>Sign in</button></form>`));
  });

  app.post('/login', (req, res, next) => {
    const user = checkPassword(users, req.body.username ?? '', req.body.password ?? '');
    if (!user) return res.status(401).send(page('Sign in to the example intranet', '<p role="alert">Wrong user name or password.</p><p><a href="/login">Try again</a></p>'));
    const target = typeof req.query.next === 'string' && req.query.next.startsWith('/') && !req.query.next.startsWith('//') ? req.query.next : '/';
    req.login(user, (err) => (err ? next(err) : res.redirect(303, target)));
  });

  // factorgate: a second factor, at most 8 hours old, for this page.
  app.get('/payroll', signedIn, requireMfa({ maxAge: '8h' }), (req, res) => {
    const { methods, at } = req.user.mfa;
    res.send(page(`Payroll for ${req.user.displayName}`, `<dl id="mfa"><dt>Second factor</dt><dd id="methods">${escape(methods.join(', '))}</dd><dt>Verified at</dt><dd id="at">${escape(new Date(at).toISOString())}</dd></dl><p><a href="/">Home</a></p>`));
  });

  app.get('/logout', (req, res, next) => req.logout((err) => (err ? next(err) : req.session.destroy(() => res.redirect(303, '/')))));

  return app;
}
