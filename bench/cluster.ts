// The ceiling: the app on node:cluster, N workers sharing one port, no proxy hop at all.
// Usage: node dist/bench/cluster.js PORT N MODULE
import cluster from 'node:cluster';
import { createServer } from 'node:http';
import { loadApp } from '../src/worker/app.js';

const [port, n, module] = process.argv.slice(2);
if (cluster.isPrimary) {
  let ready = 0;
  for (let i = 0; i < Number(n); i++) {
    cluster.fork().on('listening', () => {
      if (++ready === Number(n)) process.send?.('ready');
    });
  }
} else {
  const app = await loadApp(module);
  createServer((req, res) => void app.listener(req, res)).listen(Number(port), '127.0.0.1');
}
