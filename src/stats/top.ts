// `tsws top ADDRESS`: a live view of a tsws (or uWSGI) stats server, like uwsgitop. ADDRESS is what
// `stats =` says: host:port, :port (loopback), a unix socket path, or http://host:port for stats-http.
// Redraws every second; `q` quits. In a dumb terminal (TERM=dumb, or output not a terminal) it prints
// plain frames without escape codes, and a line with `q` quits.
import { connect } from 'node:net';
import { parseAddress } from '../config/values.js';

interface W {
  id: number;
  pid: number;
  status: string;
  requests: number;
  delta_requests: number;
  avg_rt: number;
  rss: number;
  respawn_count: number;
  in_flight?: number;
  cpu?: number;
  last_recycle_reason?: string;
  recycle_reason?: string;
}

interface Doc {
  version: string;
  pid: number;
  listen_queue: number;
  load: number;
  workers: W[];
  tsws?: { uptime: number; requests: number; recycles: Record<string, number>; master?: { rss: number; heap_used: number; fds: number }; routes?: { route: string; requests: number; bytes_per_request: number; bytes_per_request_error?: number | null }[] };
}

function fetchStats(address: string): Promise<Doc> {
  if (/^https?:\/\//.test(address)) {
    return fetch(address).then(async (r) => {
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      return (await r.json()) as Doc;
    });
  }
  const a = parseAddress(address);
  return new Promise((resolve, reject) => {
    const sock = a.kind === 'unix' ? connect(a.path) : connect(a.port, a.host || '127.0.0.1');
    let data = '';
    sock.setTimeout(3000, () => sock.destroy(new Error('timed out')));
    sock.on('data', (b) => (data += b));
    sock.on('end', () => {
      try {
        resolve(JSON.parse(data) as Doc);
      } catch {
        reject(new Error('not a stats document'));
      }
    });
    sock.on('error', reject);
  });
}

function human(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)}G`;
  if (bytes >= 1024 ** 2) return `${Math.round(bytes / 1024 ** 2)}M`;
  return `${Math.round(bytes / 1024)}K`;
}

function duration(s: number): string {
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** The master's own rss, heap and fds (tsws only): what to watch for a leak in the process that never restarts. */
function master(doc: Doc): string {
  const m = doc.tsws?.master;
  return m ? ` - rss ${human(m.rss)} heap ${human(m.heap_used)} fds ${m.fds}` : '';
}

/** One screen of text; `prev` (the last document) gives requests per second. */
export function renderFrame(doc: Doc, prev: { doc: Doc; at: number } | null, now: number, width: number, height: number): string[] {
  const dt = prev ? (now - prev.at) / 1000 : 0;
  const before = new Map(prev?.doc.workers.map((w) => [w.pid, w.delta_requests]) ?? []);
  const total = doc.tsws?.requests ?? doc.workers.reduce((s, w) => s + w.requests, 0);
  const prevTotal = prev ? (prev.doc.tsws?.requests ?? prev.doc.workers.reduce((s, w) => s + w.requests, 0)) : total;
  const rps = dt > 0 ? Math.max(0, (total - prevTotal) / dt) : 0;
  const recycles = doc.tsws ? Object.values(doc.tsws.recycles).reduce((s, n) => s + n, 0) : 0;
  const lines = [
    `${doc.version} - master ${doc.pid}${doc.tsws ? ` - up ${duration(doc.tsws.uptime)}` : ''}${master(doc)} - ${new Date(now).toLocaleTimeString()}`,
    `req: ${total} - RPS: ${rps.toFixed(0)} - queue: ${doc.listen_queue} - load: ${doc.load} - workers: ${doc.workers.length} - recycles: ${recycles}`,
    '',
    'WID     PID STATUS       REQ   RPS  AVG ms    RSS  CPU% RCY LAST REASON',
  ];
  for (const w of [...doc.workers].sort((a, b) => a.id - b.id || a.pid - b.pid)) {
    const wr = dt > 0 && before.has(w.pid) ? (w.delta_requests - before.get(w.pid)!) / dt : 0;
    const reason = w.recycle_reason || w.last_recycle_reason || '';
    lines.push(
      `${String(w.id).padStart(3)} ${String(w.pid).padStart(7)} ${w.status.padEnd(9).slice(0, 9)} ${String(w.delta_requests).padStart(6)} ${wr.toFixed(0).padStart(5)} ${(w.avg_rt / 1000).toFixed(1).padStart(7)} ${human(w.rss).padStart(6)} ${w.cpu === undefined ? '    -' : w.cpu.toFixed(0).padStart(5)} ${String(Math.max(0, w.respawn_count - 1)).padStart(3)} ${reason}`,
    );
  }
  // Which routes keep memory (issue 14): the top ones, when workers report them.
  const routes = (doc.tsws?.routes ?? []).filter((r) => r.requests > 0).slice(0, 3);
  if (routes.length) {
    lines.push('', `memory kept per request: ${routes.map((r) => `${r.route} ${r.bytes_per_request >= 0 ? '+' : '-'}${human(Math.abs(r.bytes_per_request))}${r.bytes_per_request_error == null ? '' : ` ±${human(r.bytes_per_request_error)}`} (${r.requests})`).join(', ')}`);
  }
  const room = Math.max(5, height - 1);
  const shown = lines.length > room ? [...lines.slice(0, room - 1), `... ${lines.length - room + 1} more workers`] : lines;
  return shown.map((l) => (l.length > width ? l.slice(0, width - 1) + '…' : l));
}

export async function runTop(args: string[]): Promise<number> {
  const address = args.find((a) => !a.startsWith('-'));
  if (!address || args.includes('--help') || args.includes('-h')) {
    process.stderr.write('Usage: tsws top ADDRESS   (the `stats` address: host:port, :port, a unix socket path, or http://host:port)\n');
    return address ? 0 : 64;
  }
  const fancy = process.stdout.isTTY === true && process.env.TERM !== 'dumb';
  let prev: { doc: Doc; at: number } | null = null;
  let stop = false;
  const quit = () => (stop = true);
  if (process.stdin.isTTY && fancy) {
    process.stdin.setRawMode(true);
    process.stdin.on('data', (b) => {
      if (b[0] === 0x71 || b[0] === 0x03) quit(); // q, Ctrl-C
    });
  } else {
    process.stdin.on('data', (b) => {
      if (b.toString().trim() === 'q') quit();
    });
    process.stdin.on('error', () => {});
  }
  process.on('SIGINT', quit);
  // `tsws top | head`: the reader went away, which is a way of quitting, not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    quit();
  });
  if (fancy) process.stdout.write('\x1b[?25l'); // hide the cursor
  try {
    while (!stop) {
      const now = Date.now();
      let frame: string[];
      const width = process.stdout.columns || 80;
      const height = process.stdout.rows || 24;
      try {
        const doc = await fetchStats(address);
        frame = renderFrame(doc, prev, now, width, height);
        prev = { doc, at: now };
      } catch (e) {
        frame = [`tsws top: cannot read stats from ${address}: ${(e as Error).message} (retrying; q quits)`];
      }
      if (fancy) process.stdout.write(`\x1b[H\x1b[2J${frame.join('\n')}\n`);
      else process.stdout.write(`${frame.join('\n')}\n\n`);
      for (let i = 0; i < 20 && !stop; i++) await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    if (fancy) process.stdout.write('\x1b[?25h\n');
    if (process.stdin.isTTY && fancy) process.stdin.setRawMode(false);
    process.stdin.pause();
  }
  return 0;
}
