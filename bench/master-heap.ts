// Does the master leak? Its RSS alone cannot tell: V8 grows its heap reservation for a while before it
// settles. This drives fast recycles (max-requests = 200, 4 workers) through tsws, and after every round
// forces a full GC in the master through the inspector protocol and reads its heap, RSS and open fds.
// A leak shows as heap_used climbing round after round; `--snapshot` also takes a heap snapshot after round 1
// and after the last, and lists what grew in between by V8 node kind and constructor (a leak of tsws's own
// objects shows as Worker, ChildProcess, Socket…; V8 still compiling hot code shows as `code:` entries).
//   npm run bench:master-heap [-- --rounds 8 --per-round 10000 --snapshot]
// Prints JSON. Needs a global WebSocket: Node 22+, or Node 20 with --experimental-websocket (re-run with it).
import { spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { join } from 'node:path';
import { ROOT, startTsws, stop, tempDir } from './lib.js';

interface WebSocketLike {
  addEventListener(ev: 'open' | 'message' | 'error', f: (e: { data?: string }) => void): void;
  send(data: string): void;
  close(): void;
}
const WS = (globalThis as unknown as { WebSocket?: new (url: string) => WebSocketLike }).WebSocket;
if (!WS) {
  const r = spawnSync(process.execPath, ['--experimental-websocket', ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const ROUNDS = arg('rounds', 8);
const PER_ROUND = arg('per-round', 10_000);

/** `count` GETs from 8 clients, keep-alive or a fresh connection each. */
async function load(url: string, count: number, keepAlive: boolean): Promise<number> {
  const agent = new Agent({ keepAlive });
  let sent = 0;
  let ok = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (sent++ < count) {
        await new Promise<void>((resolve) =>
          get(`${url}/pid`, { agent }, (res) => {
            res.resume();
            res.on('end', () => {
              if (res.statusCode === 200) ok++;
              resolve();
            });
          }).on('error', () => resolve()),
        );
      }
    }),
  );
  agent.destroy();
  return ok;
}

const dir = tempDir();
const ini = join(dir, 'app.ini');
writeFileSync(ini, `[uwsgi]\nhttp = 127.0.0.1:0\nmodule = ${join(ROOT, 'test/apps/probe.js')}\nprocesses = 4\nthreads = 2\nmax-requests = 200\ndisable-logging = true\n`);
const t = await startTsws(ini, undefined, ['--expose-gc', '--inspect=127.0.0.1:0']);
const wsUrl = /ws:\/\/\S+/.exec(t.log())![0];
const ws = new WS!(wsUrl);
await new Promise<void>((resolve, reject) => {
  ws.addEventListener('open', () => resolve());
  ws.addEventListener('error', () => reject(new Error(`cannot reach the inspector at ${wsUrl}`)));
});
const waiting = new Map<number, (v: unknown) => void>();
ws.addEventListener('message', (e) => {
  const m = JSON.parse(e.data!) as { id?: number; method?: string; params?: { chunk: string }; result?: { result?: { value?: unknown } } };
  if (m.method === 'HeapProfiler.addHeapSnapshotChunk') chunks.push(m.params!.chunk);
  if (m.id !== undefined) waiting.get(m.id)?.(m.result?.result?.value);
});
let seq = 0;
let chunks: string[] = [];
function call(method: string, params: object): Promise<unknown> {
  const id = ++seq;
  ws.send(JSON.stringify({ id, method, params }));
  return new Promise((resolve) => waiting.set(id, resolve));
}
const evaluate = (expression: string) => call('Runtime.evaluate', { expression, returnByValue: true });

/** Self size and count per `kind:name` (name: the constructor for objects) of a heap snapshot taken after a full GC. */
async function heapCensus(): Promise<Map<string, { count: number; bytes: number }>> {
  await evaluate('gc(), gc(), 1');
  chunks = [];
  await call('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
  const snap = JSON.parse(chunks.join('')) as { snapshot: { meta: { node_fields: string[]; node_types: [string[]] } }; nodes: number[]; strings: string[] };
  chunks = [];
  const f = snap.snapshot.meta.node_fields;
  const [iType, iName, iSize] = ['type', 'name', 'self_size'].map((k) => f.indexOf(k));
  const census = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < snap.nodes.length; i += f.length) {
    const key = `${snap.snapshot.meta.node_types[0][snap.nodes[i + iType]]}:${snap.strings[snap.nodes[i + iName]].slice(0, 50)}`;
    const c = census.get(key) ?? { count: 0, bytes: 0 };
    c.count++;
    c.bytes += snap.nodes[i + iSize];
    census.set(key, c);
  }
  return census;
}

const MiB = (n: number) => Math.round((n / 1048576) * 100) / 100;
async function sample(round: number, requests: number) {
  const m = (await evaluate('gc(), gc(), process.memoryUsage()')) as NodeJS.MemoryUsage;
  // Counted in the master's output, which bench/lib keeps up to 1 MiB: about 2,500 recycles (50 rounds).
  const recycles = (t.log().match(/recycling: max-requests/g) ?? []).length;
  return { round, requests, recycles, heap_used_mib: MiB(m.heapUsed), heap_total_mib: MiB(m.heapTotal), rss_mib: MiB(m.rss), fds: readdirSync(`/proc/${t.proc.pid}/fd`).length };
}

await load(t.url, 5000, true); // warm up: JIT, agents, pools
const SNAPSHOT = process.argv.includes('--snapshot');
const rounds = [await sample(0, 0)];
let total = 0;
let ok = 0;
let census1: Awaited<ReturnType<typeof heapCensus>> | null = null;
for (let r = 1; r <= ROUNDS; r++) {
  ok += await load(t.url, PER_ROUND / 2, true);
  ok += await load(t.url, PER_ROUND / 2, false);
  total += PER_ROUND;
  rounds.push(await sample(r, total));
  process.stderr.write(`round ${r}: ${JSON.stringify(rounds.at(-1))}\n`);
  if (SNAPSHOT && r === 1) census1 = await heapCensus();
}
let grew: { what: string; count: number; bytes: number }[] | undefined;
if (census1) {
  const census2 = await heapCensus();
  grew = [...census2]
    .map(([what, c]) => ({ what, count: c.count - (census1!.get(what)?.count ?? 0), bytes: c.bytes - (census1!.get(what)?.bytes ?? 0) }))
    .filter((d) => d.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 12);
}
ws.close();
await stop(t.proc);
const first = rounds[1];
const last = rounds.at(-1)!;
console.log(
  JSON.stringify(
    {
      node: process.version,
      requests: total,
      answered_200: ok,
      recycles: last.recycles,
      heap_used_mib: { after_warmup: rounds[0].heap_used_mib, round_1: first.heap_used_mib, last: last.heap_used_mib },
      rss_mib: { after_warmup: rounds[0].rss_mib, round_1: first.rss_mib, last: last.rss_mib },
      fds: { after_warmup: rounds[0].fds, last: last.fds },
      ...(grew ? { grew_between_round_1_and_last: grew } : {}),
      rounds,
    },
    null,
    2,
  ),
);
