// A test app that reports what happens inside a worker. Routes:
//   /pid                → "PID"
//   /sleep/MS           → "PID INFLIGHT" after MS ms (INFLIGHT: requests this worker was serving when it started);
//                         with PROBE_MARKS=DIR in the environment it first creates DIR/PID-N, so a test can
//                         wait until the request is really with a worker instead of sleeping
//   /drip/MS            → sends its headers and a first byte at once, the rest after MS ms (marks like /sleep)
//   /stream/N/MS        → N chunks "PID\n", one every MS ms (a server-sent-events-like stream)
//   /block/MS           → blocks the event loop for MS ms, then answers
//   /headers            → the request headers as JSON
//   /upload             → reads the body, answers its length in bytes
//   /exit               → the worker exits mid-request (no response)
//   /throw              → throws synchronously
//   /throw-async        → throws from a timer (uncaught)
//   /leak/MB            → keeps MB more megabytes (touched, so they count in RSS), answers "PID"
//   /bloat-later/MB     → answers at once, then keeps MB more megabytes 100 ms later (an idle bloat)
//   /limits             → this process's /proc/self/limits
//   /env/NAME           → process.env[NAME]
//   /cwd                → process.cwd()
import { readFileSync, writeFileSync } from 'node:fs';

let inflight = 0;
let marks = 0;
const kept = [];
export default function probe(req, res) {
  inflight++;
  const now = inflight;
  const done = (status, body, headers = {}) => {
    inflight--;
    res.writeHead(status, { 'content-type': 'text/plain', ...headers });
    res.end(body);
  };
  const url = req.url.split('?')[0];
  let m;
  if (url === '/pid') return done(200, String(process.pid));
  if ((m = /^\/sleep\/(\d+)/.exec(url))) {
    if (process.env.PROBE_MARKS) writeFileSync(`${process.env.PROBE_MARKS}/${process.pid}-${++marks}`, url);
    return setTimeout(() => done(200, `${process.pid} ${now}`), Number(m[1]));
  }
  if ((m = /^\/drip\/(\d+)/.exec(url))) {
    if (process.env.PROBE_MARKS) writeFileSync(`${process.env.PROBE_MARKS}/${process.pid}-${++marks}`, url);
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('.');
    return setTimeout(() => {
      inflight--;
      res.end(`${process.pid}\n`);
    }, Number(m[1]));
  }
  if ((m = /^\/stream\/(\d+)\/(\d+)/.exec(url))) {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    let left = Number(m[1]);
    const t = setInterval(() => {
      res.write(`${process.pid}\n`);
      if (--left === 0) {
        clearInterval(t);
        inflight--;
        res.end();
      }
    }, Number(m[2]));
    return;
  }
  if ((m = /^\/block\/(\d+)/.exec(url))) {
    const until = Date.now() + Number(m[1]);
    while (Date.now() < until);
    return done(200, `${process.pid} blocked`);
  }
  if (url === '/headers') return done(200, JSON.stringify(req.headers), { 'content-type': 'application/json' });
  if (url === '/upload') {
    let n = 0;
    req.on('data', (c) => (n += c.length));
    req.on('end', () => done(200, String(n)));
    return;
  }
  if (url === '/exit') return process.exit(3);
  if (url === '/throw') {
    inflight--;
    throw new Error('thrown by /throw');
  }
  if (url === '/throw-async') {
    setTimeout(() => {
      inflight--;
      throw new Error('thrown later by /throw-async');
    }, 5);
    return;
  }
  if ((m = /^\/leak\/(\d+)/.exec(url))) {
    req.resume();
    return req.on('end', () => {
      kept.push(Buffer.alloc(Number(m[1]) * 1024 * 1024, 1));
      done(200, String(process.pid));
    });
  }
  if ((m = /^\/bloat-later\/(\d+)/.exec(url))) {
    setTimeout(() => kept.push(Buffer.alloc(Number(m[1]) * 1024 * 1024, 1)), 100);
    return done(200, String(process.pid));
  }
  if (url === '/limits') return done(200, readFileSync('/proc/self/limits', 'utf8'));
  if ((m = /^\/env\/(\w+)/.exec(url))) return done(200, String(process.env[m[1]]));
  if (url === '/cwd') return done(200, process.cwd());
  done(404, 'not found\n');
}

// WebSocket-style upgrades: answer 101 and echo every byte back (a tunnel test, not a WebSocket server).
export function upgrade(req, socket) {
  socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
  socket.on('data', (b) => socket.write(b));
}
