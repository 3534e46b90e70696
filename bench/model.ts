// bench/model: the seed's leak in a model-shaped app (samples/model.js: a 5 s load, a 200 MB model, 250 ms per
// inference, ~78 MB kept per request), where every recycle costs a 5 s load. Two clients keep both workers
// busy; reload-on-rss recycles each about every 16 requests. Run twice in one go, side by side: without spare
// workers, and with spare-workers = 2. Reported: requests, failures, recycles, latency p50/p99/max and the
// longest wait beyond the inference itself (queueing while a slot reloads), from the client's side.
//
//   npm run bench:model -- [--seconds 40] [--clients 2] [--out bench/results-model.json]
import { writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, startTsws, stop, tempDir } from './lib.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '40' },
    clients: { type: 'string', default: '2' },
    out: { type: 'string' },
  },
});
const SECONDS = Number(values.seconds);
const CLIENTS = Number(values.clients);
const INFERENCE_MS = 250;

function post(url: string, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request(`${url}/predict`, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - t0) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end('{"input":[1,2,3]}');
  });
}

function quantile(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : 0;
}

async function run(spares: number): Promise<Record<string, unknown>> {
  const dir = tempDir();
  const ini = join(dir, 'model.ini');
  const log = join(dir, 'tsws.log');
  writeFileSync(
    ini,
    `[uwsgi]\nmodule = ${ROOT}/samples/model.js\nhttp = 127.0.0.1:0\nprocesses = 2\nreload-on-rss = 1500\nspare-workers = ${spares}\n` +
      `harakiri = 60\nhttp-timeout = 60\ndisable-logging = true\nlogto = ${log}\n`,
  );
  const t = await startTsws(ini, log);
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  const latencies: number[] = [];
  const failures: Record<string, number> = {};
  const until = Date.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (Date.now() < until) {
        try {
          latencies.push(await post(t.url, agent));
        } catch (e) {
          const k = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
          failures[k] = (failures[k] ?? 0) + 1;
        }
      }
    }),
  );
  agent.destroy();
  const recycles = (t.log().match(/recycling: rss/g) ?? []).length;
  const swapped = (t.log().match(/a spare, ready for/g) ?? []).length;
  await stop(t.proc);
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    'spare-workers': spares,
    requests: latencies.length,
    failed: Object.values(failures).reduce((a, b) => a + b, 0),
    failures,
    recycles,
    'recycles served by a spare': swapped,
    p50_ms: Math.round(quantile(sorted, 0.5)),
    p99_ms: Math.round(quantile(sorted, 0.99)),
    max_ms: Math.round(sorted.at(-1) ?? 0),
    'longest wait beyond inference, ms': Math.max(0, Math.round((sorted.at(-1) ?? 0) - INFERENCE_MS)),
  };
}

const results = [await run(0), await run(2)];
console.table(results.map(({ failures, ...r }) => r));
if (values.out) writeFileSync(values.out, JSON.stringify({ node: process.version, seconds: SECONDS, clients: CLIENTS, results }, null, 2) + '\n');
