// The router fuzzed in-process (issue 10): thousands of random request lines, targets, headers, framings and
// bodies, pipelined or cut short, against a worker that sometimes misbehaves (dies before or mid-response,
// answers garbage, 1xx, trailers). Nothing may throw out of the router (an uncaught exception fails the run),
// nothing may be contained as an internal error, every complete request gets a status line, and the router
// ends with nothing in flight. A seeded generator makes a failure reproducible: TSWS_FUZZ_SEED=N.
// TSWS_SOAK=1 runs 20,000 cases instead of 2,000.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Router } from '../../src/router/router.js';
import { createUpstream } from '../../src/router/upstream.js';
import { tempDir } from '../helpers/files.js';
import { rng } from '../helpers/random.js';

const CASES = process.env.TSWS_SOAK === '1' ? 20_000 : 2_000;
const SEED = Number(process.env.TSWS_FUZZ_SEED ?? Date.now() % 1_000_000);


const random = rng(SEED);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
const chance = (p: number): boolean => random() < p;

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE', 'CONNECT', 'BREW', 'get', '-BLARGH', ''];
const TARGETS = ['/', '/a?b=c', '/%zz', '/x/../y', '*', 'http://a:99999/', 'http://[::1/', 'http://%zz/', 'http://', 'https://h.test/p', 'http://h.test:80/p?q', 'h.test:443', '//double', '/\u00e9', `/${'a'.repeat(5000)}`, '', ' /sp', '/tab\there'];
const VERSIONS = ['HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/1.2', 'http/1.1', 'HTTP/9'];
const MODES = ['ok', 'ok', 'ok', 'ok', 'die-before', 'die-mid', 'garbage', 'hints', 'trailers', 'slow', 'big-header', 'close'];
const HEADERS: readonly (() => string)[] = [
  () => 'Host: a',
  () => 'Host: b',
  () => `Content-Length: ${pick(['0', '3', '10', '-1', 'abc', '1, 1', '99999999999999999999'])}`,
  () => `Transfer-Encoding: ${pick(['chunked', 'gzip, chunked', 'chunked, gzip', 'identity', 'xchunked'])}`,
  () => `Connection: ${pick(['close', 'keep-alive', 'x-custom', 'upgrade', 'close, x-custom'])}`,
  () => 'x-custom: listed in connection',
  () => `Expect: ${pick(['100-continue', 'nonsense'])}`,
  () => 'Upgrade: websocket',
  () => 'X-Forwarded-For: 6.6.6.6',
  () => `X-Big: ${'b'.repeat(pick([10, 1000, 20_000]))}`,
  () => 'Bad Header: space in name',
  () => 'NoColon',
  () => `X-Ctl: a${pick(['\x00', '\x7f', '\x01'])}b`,
  () => ' leading-space: x',
  () => 'Te: trailers',
  () => 'Trailer: X-T',
];

function body(): string {
  if (chance(0.4)) return '';
  if (chance(0.5)) return 'abc'.repeat(Math.floor(random() * 5));
  const chunks = [];
  for (let i = Math.floor(random() * 3); i > 0; i--) chunks.push(pick(['3\r\nabc\r\n', '5; a; b=c\r\nhello\r\n', 'zz\r\nabc\r\n', '3\r\nab\r\n']));
  chunks.push(pick(['0\r\n\r\n', '0\r\nX-T: 1\r\n\r\n', '0\r\nContent-Length: 5\r\n\r\n', '']));
  return chunks.join('');
}

function oneRequest(): string {
  const headers = [];
  if (chance(0.9)) headers.push('Host: h');
  for (let n = Math.floor(random() * 4); n > 0; n--) headers.push(pick(HEADERS)());
  headers.push(`X-Fuzz-Mode: ${pick(MODES)}`);
  if (chance(0.6)) headers.push('Connection: close');
  return `${pick(METHODS)} ${pick(TARGETS)} ${pick(VERSIONS)}\r\n${headers.join('\r\n')}\r\n\r\n${body()}`;
}

/** A worker that misbehaves on request: the router must turn each of these into an answer or a clean cut. */
function fuzzWorker(): Server {
  return createServer({ requireHostHeader: false }, (req, res) => {
    const mode = String(req.headers['x-fuzz-mode'] ?? 'ok');
    req.resume();
    const go = () => {
      switch (mode) {
        case 'die-before':
          return req.socket.destroy();
        case 'die-mid':
          res.writeHead(200, { 'content-length': '10' });
          res.write('12345');
          return setTimeout(() => req.socket.destroy(), 5);
        case 'garbage':
          req.socket.write('HTTP/1.1 2x0 What\r\n\r\n');
          return setTimeout(() => req.socket.destroy(), 5);
        case 'hints':
          res.writeEarlyHints({ link: '</a>; rel=preload' });
          return res.end('hinted');
        case 'trailers':
          res.writeHead(200, { trailer: 'X-T' });
          res.addTrailers({ 'X-T': '1' });
          return res.end('t');
        case 'slow':
          return setTimeout(() => res.end('slow'), 30);
        case 'big-header':
          res.setHeader('x-big', 'c'.repeat(70_000));
          return res.end();
        case 'close':
          res.setHeader('connection', 'close');
          return res.end('closing');
        default:
          res.end(`${req.method} ${req.url}`);
      }
    };
    // The worker's own mistakes (trailers on HEAD, …) end its connection, as a crashing app's would.
    const safe = () => {
      try {
        go();
      } catch {
        req.socket.destroy();
      }
    };
    if (req.complete) safe();
    else req.once('end', safe);
  });
}

const servers: Server[] = [];
after(() => {
  for (const s of servers) s.close();
});

test(`router fuzz: ${CASES} random requests against a misbehaving worker, seed ${SEED}`, async (ctx) => {
  const dir = tempDir();
  const sock = join(dir, 'w.sock');
  const worker = fuzzWorker();
  servers.push(worker);
  await new Promise<void>((r) => worker.listen(sock, r));
  const uncaught: unknown[] = [];
  const onUncaught = (e: unknown) => uncaught.push(e);
  process.on('uncaughtException', onUncaught);
  const warnings: string[] = [];
  const router = new Router(
    {
      threads: 8,
      listen: 1000,
      httpTimeoutMs: 5000,
      harakiriMs: 0,
      maxHeaderSize: 16384,
      headersTimeoutMs: 1000,
      bodyTimeoutMs: 1000,
      keepAliveMs: 5000,
      maxConnections: 0,
      forwardedAllow: new Set(),
      logLine: null,
      log: () => {},
      warn: (l) => warnings.push(l),
      postBuffering: 64,
      limitPost: 0,
      spoolDir: dir,
    },
    { available: () => true, drained: () => {}, requestEnded: () => {}, harakiri: () => {} },
  );
  servers.push(router.server);
  const up = createUpstream(1, process.pid, sock);
  router.add(up);
  await new Promise<void>((r) => router.server.listen(0, '127.0.0.1', r));
  const port = (router.server.address() as { port: number }).port;

  let statusLines = 0;
  let silent = 0;
  const silentExamples: string[] = [];
  const oneCase = (): Promise<void> => {
    const reqs = Array.from({ length: chance(0.2) ? 2 + Math.floor(random() * 2) : 1 }, oneRequest).join('');
    const cut = chance(0.1) ? Math.floor(random() * reqs.length) : -1;
    return new Promise((resolve) => {
      const s = connect(port, '127.0.0.1');
      let got = '';
      let t: NodeJS.Timeout;
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        clearTimeout(t);
        s.destroy();
        if (cut >= 0) return resolve(); // the client left mid-request: no answer owed
        if (got.startsWith('HTTP/1.1 ')) statusLines++;
        else {
          silent++;
          if (silentExamples.length < 5) silentExamples.push(`${JSON.stringify(reqs.slice(0, 200))} … ${JSON.stringify(reqs.slice(-300))} -> ${JSON.stringify(got.slice(0, 200))}`);
        }
        resolve();
      };
      t = setTimeout(end, 8000); // generous: a stalled body gets its 408 after ~1 s, on a machine that may be busy
      s.on('data', (b) => {
        got += b.toString('latin1');
        clearTimeout(t);
        t = setTimeout(end, 400);
      });
      s.on('close', end);
      s.on('error', () => {});
      if (cut >= 0) {
        s.write(reqs.slice(0, cut));
        setTimeout(end, Math.floor(random() * 20));
      } else s.write(reqs);
    });
  };
  const CONCURRENCY = 100;
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < CASES) {
      next++;
      await oneCase();
    }
  }));
  process.off('uncaughtException', onUncaught);
  ctx.diagnostic(`figure: seed ${SEED}: ${CASES} cases, ${statusLines} answered with a status line, ${silent} closed without one; counters ${JSON.stringify(router.counters)}`);
  assert.deepEqual(uncaught, [], 'nothing escaped the router');
  assert.equal(router.counters.internalErrors, 0, `no exception was contained:\n${warnings.join('\n')}`);
  assert.equal(silent, 0, `every complete request gets a status line; e.g.\n${silentExamples.join('\n')}`);
  // Resolves only once nothing is queued, read, in flight or being written: every exchange ended.
  await Promise.race([router.close(), new Promise((_, reject) => setTimeout(() => reject(new Error('requests still counted as active 10 s after the last client left')), 10_000))]);
  assert.equal(up.exchanges.length, 0);
  router.stop();
});
