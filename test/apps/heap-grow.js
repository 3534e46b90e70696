// Grows its JavaScript heap (not Buffers, which live outside it): GET /grow/MB keeps MB more megabytes of
// doubles on the V8 heap and answers "PID HEAP_LIMIT_MIB"; GET /limit answers V8's heap limit in MiB.
import { getHeapStatistics } from 'node:v8';

const kept = [];
const limit = () => Math.round(getHeapStatistics().heap_size_limit / 1024 / 1024);
export default function heapGrow(req, res) {
  const m = /^\/grow\/(\d+)/.exec(req.url);
  if (m) kept.push(Array.from({ length: (Number(m[1]) * 1024 * 1024) / 8 }, (_, i) => i + 0.5));
  res.end(`${process.pid} ${limit()}`);
}
