// Hapi 21 as its tutorial writes it: server.start() on a port, server.stop() on SIGTERM.
import Hapi from '@hapi/hapi';
import common from './common.cjs';

const server = Hapi.server({ port: common.port, host: 'localhost' });
server.route({ method: 'GET', path: '/who', handler: (request) => common.who(request.info.remoteAddress, request.headers) });
server.route({
  method: 'GET',
  path: '/sleep/{ms}',
  handler: async (request) => {
    await new Promise((r) => setTimeout(r, Number(request.params.ms)));
    return String(process.pid);
  },
});
process.on('SIGTERM', async () => {
  await server.stop();
  common.markSigterm('hapi: stopped');
  process.exit(0);
});
await server.start();
console.log('Server running on %s', server.info.uri);
