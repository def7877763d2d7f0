/**
 * The admin pages (`/admin`, `/admin/bookings`, `/admin/calls`, `/admin/companies`, `/admin/settings`):
 * one small HTML shell per page that lists recent data and reports its load timing with web-vitals.
 * The web-vitals browser build is served straight from node_modules; there is no bundler.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

export const ADMIN_ROUTES: Record<string, { page: string; title: string }> = {
  '/admin': { page: 'dashboard', title: 'Dashboard' },
  '/admin/bookings': { page: 'bookings', title: 'Bookings' },
  '/admin/calls': { page: 'calls', title: 'Calls' },
  '/admin/companies': { page: 'companies', title: 'Companies' },
  '/admin/settings': { page: 'settings', title: 'Settings' },
};

function webVitalsFile(): string {
  // The package exports no ./package.json; its CommonJS entry sits beside the browser build in dist/.
  return join(dirname(require.resolve('web-vitals')), 'web-vitals.iife.js');
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface AdminAccess {
  isAdmin(request: FastifyRequest): boolean;
  redirectToLogin(request: FastifyRequest, reply: FastifyReply): FastifyReply;
}

/** The pages need an admin session (a browser without one goes to the login page); the assets do not. */
export function adminRoutes(access: AdminAccess) {
  // Read once at start: a missing file is a broken install and should fail loudly, not per request.
  const template = readFileSync(join(here, '..', 'public', 'admin.html'), 'utf8');
  const script = readFileSync(join(here, '..', 'public', 'admin.js'), 'utf8');
  const webVitals = readFileSync(webVitalsFile(), 'utf8');
  const nav = Object.entries(ADMIN_ROUTES)
    .map(([path, r]) => `<a href="${path}">${escapeHtml(r.title)}</a>`)
    .join(' ');
  const logout =
    '<form method="post" action="/admin/logout" style="display:inline">' +
    '<input type="hidden" name="_csrf" value="{{csrf}}"><button type="submit">Log out</button></form>';

  return async function admin(app: FastifyInstance): Promise<void> {
    for (const [path, r] of Object.entries(ADMIN_ROUTES)) {
      const html = template
        .replaceAll('{{title}}', escapeHtml(r.title))
        .replaceAll('{{page}}', escapeHtml(r.page))
        .replaceAll('{{nav}}', `${nav} ${logout}`);
      app.get(path, async (request, reply) => {
        if (!access.isAdmin(request)) return access.redirectToLogin(request, reply);
        return reply
          .header('content-type', 'text/html; charset=utf-8')
          .header('cache-control', 'no-store')
          .send(html.replace('{{csrf}}', escapeHtml(reply.generateCsrf())));
      });
    }
    app.get('/admin/assets/admin.js', async (_request, reply) =>
      reply
        .header('content-type', 'text/javascript; charset=utf-8')
        .header('cache-control', 'public, max-age=300')
        .send(script),
    );
    app.get('/admin/assets/web-vitals.iife.js', async (_request, reply) =>
      reply
        .header('content-type', 'text/javascript; charset=utf-8')
        .header('cache-control', 'public, max-age=86400')
        .send(webVitals),
    );
  };
}
