/**
 * Who may do what, built from kept Fastify plugins (no hand-rolled session crypto):
 *
 * - Admin users log in at `/admin/login` (scrypt-hashed passwords, CSRF-protected form, rate-limited per
 *   client and slowed after failures) and get a session cookie (`HttpOnly; SameSite=Strict`, `Secure`
 *   unless the service runs outside production on loopback) kept in the service database; `/admin/logout`
 *   ends it. The session sees every tenant.
 * - API clients send a per-tenant key (`Authorization: Bearer askp_...` or `X-API-Key`), stored hashed;
 *   they see and change only their own tenant's rows.
 * - Every response carries security headers: a Content-Security-Policy without inline scripts and with
 *   `frame-ancestors 'none'`, `nosniff`, `Referrer-Policy: no-referrer`.
 *
 * `isAdminRequest` and `redirectToLogin` are what other pages of the service (the live view) use to let
 * admins in.
 */
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySession from '@fastify/session';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { allowsDevelopmentDefaults, type Config } from '../../config.ts';
import type { ServiceDb } from '../db/connect.ts';
import { checkAdminLogin, tenantOfApiKey } from './credentials.ts';
import { databaseSessionStore, SESSION_MAX_AGE_MS } from './session-store.ts';

declare module 'fastify' {
  interface Session {
    /** The logged-in admin user. */
    user?: string;
  }
}

export const LOGIN_PATH = '/admin/login';
export const LOGOUT_PATH = '/admin/logout';
export const SESSION_COOKIE = 'askproai_session';
/** Login attempts per client and minute. */
export const LOGIN_RATE_LIMIT = 10;

/** What a request may see: every tenant (admin session) or one (API key). */
export type AccessScope = { kind: 'admin'; user: string } | { kind: 'tenant'; companyId: string };

/** True when the request carries a logged-in admin session. */
export function isAdminRequest(request: FastifyRequest): boolean {
  const session = (request as { session?: { user?: unknown } }).session;
  return typeof session?.user === 'string' && session.user !== '';
}

/** Sends a browser to the login page and back to where it was going afterwards. */
export function redirectToLogin(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const path = request.url.split('?', 1)[0] ?? '/admin';
  return reply.redirect(`${LOGIN_PATH}?next=${encodeURIComponent(path.slice(0, 200))}`, 303);
}

/** Only local paths are followed after login (no open redirect). */
function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/[A-Za-z0-9/_-]{0,200}$/.test(next) && !next.startsWith('//')
    ? next
    : '/admin';
}

function apiKeyOf(request: FastifyRequest): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string') return header.trim();
  const auth = request.headers.authorization;
  if (typeof auth === 'string' && auth.length < 200 && auth.startsWith('Bearer '))
    return auth.slice(7).trim();
  return undefined;
}

/** The request's access scope, or null when it carries no valid credential. */
export async function accessScope(db: ServiceDb, request: FastifyRequest): Promise<AccessScope | null> {
  const key = apiKeyOf(request);
  if (key !== undefined) {
    const companyId = await tenantOfApiKey(db, key);
    return companyId ? { kind: 'tenant', companyId } : null;
  }
  if (isAdminRequest(request)) return { kind: 'admin', user: (request.session as { user: string }).user };
  return null;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(csrf: string, next: string, error?: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>AskProAI admin · Log in</title>
<style>body{font:14px/1.4 system-ui,sans-serif;margin:40px auto;max-width:320px;color:#1f2933}
label,input,button{display:block;width:100%;margin:6px 0}.error{color:#b42318}</style></head>
<body><h1>AskProAI admin</h1>${error ? `<p class="error">${escapeHtml(error)}</p>` : ''}
<form method="post" action="${LOGIN_PATH}">
<input type="hidden" name="_csrf" value="${escapeHtml(csrf)}">
<input type="hidden" name="next" value="${escapeHtml(next)}">
<label>User name <input name="username" autocomplete="username" required maxlength="64"></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required maxlength="1024"></label>
<button type="submit">Log in</button></form></body></html>`;
}

/** Failed logins per client: each failure doubles the wait before the next answer, up to 5 s. */
class LoginThrottle {
  private readonly failures = new Map<string, { count: number; last: number }>();
  constructor(private readonly now: () => number = Date.now) {}
  delayMs(client: string): number {
    const f = this.failures.get(client);
    if (!f || this.now() - f.last > 15 * 60_000) return 0;
    return Math.min(250 * 2 ** (f.count - 1), 5000);
  }
  failed(client: string): void {
    if (this.failures.size > 10_000) this.failures.clear();
    const f = this.failures.get(client);
    this.failures.set(client, { count: (f?.count ?? 0) + 1, last: this.now() });
  }
  succeeded(client: string): void {
    this.failures.delete(client);
  }
}

/** Whether the session cookie is `Secure`: always, except outside production on loopback. */
export function secureCookies(config: Pick<Config, 'env' | 'host'>): boolean {
  return !allowsDevelopmentDefaults(config);
}

/**
 * Registers cookies, sessions, form bodies, CSRF protection, rate limiting, security headers and the
 * login/logout routes on the app (not encapsulated: every route gets the session and the headers).
 */
export async function registerAuth(
  app: FastifyInstance,
  config: Config,
  sessionSecret: string,
  db: ServiceDb,
): Promise<void> {
  const secure = secureCookies(config);
  const cookieOptions = { httpOnly: true, sameSite: 'strict' as const, secure, path: '/' };
  await app.register(fastifyHelmet, {
    global: true,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    referrerPolicy: { policy: 'no-referrer' },
    // Plain HTTP on loopback in development: no HSTS there.
    strictTransportSecurity: secure,
  });
  await app.register(fastifyCookie, { secret: sessionSecret });
  await app.register(fastifySession, {
    secret: sessionSecret,
    cookieName: SESSION_COOKIE,
    cookie: { ...cookieOptions, maxAge: SESSION_MAX_AGE_MS },
    saveUninitialized: false,
    store: databaseSessionStore(db),
  });
  await app.register(fastifyFormbody, { bodyLimit: 4096 });
  await app.register(fastifyCsrf, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: 'askproai_csrf',
    cookieOpts: { ...cookieOptions, signed: true },
  });
  await app.register(fastifyRateLimit, { global: false });

  const throttle = new LoginThrottle();
  const loginLimit = { rateLimit: { max: LOGIN_RATE_LIMIT, timeWindow: 60_000 } };

  app.get<{ Querystring: { next?: string } }>(LOGIN_PATH, { config: loginLimit }, async (request, reply) => {
    const csrf = reply.generateCsrf();
    return reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(loginPage(csrf, safeNext(request.query.next)));
  });

  app.post<{ Body: { username?: unknown; password?: unknown; next?: unknown } }>(
    LOGIN_PATH,
    { config: loginLimit, preHandler: app.csrfProtection },
    async (request, reply) => {
      const body = (request.body ?? {}) as { username?: unknown; password?: unknown; next?: unknown };
      const username = typeof body.username === 'string' ? body.username : '';
      const password = typeof body.password === 'string' ? body.password : '';
      const client = request.ip;
      const wait = throttle.delayMs(client);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const user = await checkAdminLogin(db, username, password);
      const next = safeNext(body.next);
      if (!user) {
        throttle.failed(client);
        request.log.warn({ event: 'admin_login_failed' }, 'admin login failed');
        return reply
          .code(401)
          .header('content-type', 'text/html; charset=utf-8')
          .header('cache-control', 'no-store')
          .send(loginPage(reply.generateCsrf(), next, 'Wrong user name or password.'));
      }
      throttle.succeeded(client);
      await request.session.regenerate();
      request.session.set('user', user);
      request.log.info({ event: 'admin_login' }, 'admin logged in');
      return reply.redirect(next, 303);
    },
  );

  app.post(LOGOUT_PATH, { preHandler: app.csrfProtection }, async (request, reply) => {
    if (isAdminRequest(request)) await request.session.destroy();
    return reply.redirect(LOGIN_PATH, 303);
  });
}
