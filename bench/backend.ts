// A worker for the router benchmarks that is exactly a tsws worker (same entry point, same server settings),
// started without a tsws master, so that a bare proxy and nginx can be measured over the very same workers.
// Usage: startNode(dist/bench/backend.js, [SOCKET, MODULE]) — it sends 'ready' over IPC once listening.
import { fork } from 'node:child_process';

const [socketPath, module] = process.argv.slice(2);
const entry = new URL('../src/worker/worker.js', import.meta.url).pathname;
const boot = { id: 1, generation: 1, socketPath, module, maxHeaderSize: 16384 + 4096, title: 'tsws bench worker' };
const child = fork(entry, [JSON.stringify(boot)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
child.on('message', (m: { type: string }) => {
  if (m.type === 'ready') process.send?.('ready');
});
child.on('exit', (code) => process.exit(code ?? 1));
process.on('SIGTERM', () => child.kill('SIGKILL'));
