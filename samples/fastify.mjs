// A Fastify 5 app as Fastify's getting-started page writes it: `await fastify.listen({ port: 3000 })`.
// Under tsws it runs unmodified: port 3000 is never bound, request.ip is the client's address, and the
// SIGTERM handler (fastify.close(), which runs the onClose hooks) runs when a worker is stopped.
import Fastify from 'fastify';

const fastify = Fastify({ logger: false });

fastify.get('/', async (request) => ({ hello: 'from fastify', pid: process.pid, you: request.ip }));
fastify.post('/echo', async (request) => ({ echo: request.body }));

process.on('SIGTERM', async () => {
  await fastify.close();
  process.exit(0);
});

await fastify.listen({ port: 3000 });
