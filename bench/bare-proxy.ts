// The library's own cost: a bare http-proxy-3 proxy with a keep-alive agent per backend, round robin,
// X-Forwarded-* on, nothing else. Usage: node dist/bench/bare-proxy.js PORT SOCKET...
import { Agent, createServer } from 'node:http';
import { ProxyServer } from 'http-proxy-3';

const [port, ...sockets] = process.argv.slice(2);
const proxies = sockets.map(
  (socketPath) => new ProxyServer({ target: { socketPath, host: 'localhost' } as never, agent: new Agent({ keepAlive: true, timeout: 4000 }), xfwd: true }),
);
let next = 0;
createServer((req, res) => {
  const p = proxies[next++ % proxies.length];
  p.web(req, res, () => {
    res.statusCode = 502;
    res.end();
  });
}).listen(Number(port), '127.0.0.1', () => process.send?.('ready'));
for (const s of ['SIGINT', 'SIGTERM'] as const) process.on(s, () => process.exit(0));
