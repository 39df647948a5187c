// The dashboard's short address: /admin leads to the built admin.html.
import type { FastifyInstance } from 'fastify';

export function registerAdminPage(app: FastifyInstance): void {
  app.get('/admin', async (_req, reply) => reply.redirect('/admin.html'));
}
