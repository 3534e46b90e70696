// Fastify 5 as its getting-started page writes it: await fastify.listen({ port }), close hooks on SIGTERM.
import Fastify from 'fastify';
import common from './common.cjs';

const fastify = Fastify({ logger: false });
fastify.get('/who', async (request) => common.who(request.ip, request.headers));
fastify.get('/sleep/:ms', async (request) => {
  await new Promise((r) => setTimeout(r, Number(request.params.ms)));
  return String(process.pid);
});
fastify.addHook('onClose', async () => common.markSigterm('fastify: onClose ran'));
process.on('SIGTERM', async () => {
  await fastify.close();
  process.exit(0);
});
await fastify.listen({ port: common.port });
