// A plain http app that loads a "model" for LATE_MS before it listens (so the worker is ready only then),
// and starts a further server — a metrics endpoint on port 0 — that is bound as the app asked.
const http = require('node:http');

const started = Date.now();
function handler(req, res) {
  if (req.url === '/who') {
    res.setHeader('content-type', 'application/json');
    return res.end(JSON.stringify({ pid: process.pid, ip: req.socket.remoteAddress, port: req.socket.remotePort, family: req.socket.remoteFamily, via: 'listen', worker: process.env.TSWS_WORKER_ID, generation: process.env.TSWS_WORKER_GENERATION }));
  }
  res.end(`up after ${Date.now() - started} ms`);
}

setTimeout(() => {
  const server = http.createServer(handler);
  server.listen(Number(process.env.APP_PORT), '0.0.0.0', () => {
    const a = server.address();
    console.log(`app listening on ${a.address}:${a.port}`);
  });
  const metrics = http.createServer((req, res) => res.end('metrics'));
  metrics.listen(0, '127.0.0.1', () => console.log(`metrics on port ${metrics.address().port}`));
}, Number(process.env.LATE_MS ?? 0));
