// A test app whose worker leaves processes behind, as apps do (a headless browser, a converter, a helper
// daemon): at load it starts `sleep 1000` as its child, and a double-forked `sleep 1000` (sh starts it in
// the background and exits, so it is nobody's child: the kernel reparents it). Routes:
//   /children → {"worker":PID,"child":PID,"grandchild":PID}
//   /pid      → "PID"
import { execFileSync, spawn } from 'node:child_process';

const child = spawn('sleep', ['1000'], { stdio: 'ignore' });
const grandchild = Number(execFileSync('sh', ['-c', 'sleep 1000 >/dev/null 2>&1 & echo $!'], { encoding: 'utf8' }).trim());

export default function app(req, res) {
  if (req.url === '/children') return res.end(JSON.stringify({ worker: process.pid, child: child.pid, grandchild }));
  res.end(String(process.pid));
}
