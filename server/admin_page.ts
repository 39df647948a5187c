// The dashboard's own routes: /admin leads to the built admin.html, and a token check for its login form
// (so a wrong token is refused at login, not at the first action).
import type { FastifyInstance } from 'fastify';
import { bearerMatches } from './admin_token.ts';
import { API_ROUTES, serveRoutes } from './api_routes.ts';

export function registerAdminPage(app: FastifyInstance, token: string): void {
  app.get('/admin', async (_req, reply) => reply.redirect('/admin.html'));
  const serve = serveRoutes(app, async (req, reply) => {
    if (!bearerMatches(req.headers.authorization, token)) return reply.code(401).send({ error: 'wrong admin token: use the one the server printed at start-up (or ADMIN_TOKEN)' });
  });
  serve(API_ROUTES.adminSession, async () => ({ ok: true }));
}
