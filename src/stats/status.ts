// The per-worker status table (SIGUSR1, fifo `s`): what uwsgitop shows, as text in the log.
import { mib } from '../sys/memory.js';
import type { Worker } from '../master/pool.js';

function age(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  return `${Math.floor(s / 3600)}h`;
}

export function statusTable(workers: Worker[], queued: number, totalRequests: number): string {
  const rows = [['wid', 'pid', 'state', 'requests', 'in-flight', 'rss', 'vsz', 'age', 'note']];
  const now = Date.now();
  for (const w of workers) {
    rows.push([
      String(w.id),
      String(w.pid),
      w.state,
      String(w.upstream?.requests ?? 0),
      String(w.upstream?.exchanges.length ?? 0),
      w.memory ? mib(w.memory.rss) : '-',
      w.memory ? mib(w.memory.vsz) : '-',
      age(now - w.spawnedAt),
      w.reason,
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const lines = rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padStart(widths[i]))).join('  ').trimEnd());
  return `${lines.join('\n')}\nqueued: ${queued}, requests: ${totalRequests}`;
}
