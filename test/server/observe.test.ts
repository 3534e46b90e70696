// Issue 16: the app seen through tsws. JSON logs that no client can break, request ids that join the
// client, the request line and the app's own log, and the app's prom-client metrics whole across workers
// and recycles.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { APPS, load, request, startTsws, waitFor, type Tsws } from '../helpers/tsws.js';
import { raw } from '../helpers/raw.js';

const app = `module = ${APPS}/observe.cjs`;

/** Start with log-encoder = json: the ready lines are JSON too, so the helper's text waits do not apply. */
async function startJson(ini: string): Promise<Tsws> {
  const t = await startTsws({ ini: `${app}\nlog-encoder = json\n${ini}`, waitReady: false });
  t.url = (await t.waitForLog(/"msg":"listening on (http:\/\/[^"\s]+)"/))[1];
  await t.waitForLog(/ready on /);
  return t;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('log-encoder = json: every line parses, request fields round-trip whatever the client sent, app lines are tagged', async () => {
  const t = await startJson('processes = 1\nrequest-id = true');
  // Node refuses raw control characters and bytes >= 0x80 in a request target (400 before the router), so
  // those go percent-encoded in URIs; a header value carries a tab and any byte from 0x80 up.
  const uris = ['/a"b\\c?q="x"\\', '/p%00%0a%1f%22%5c%ff%c3%28', "/'single'{}[]"];
  const agents = [
    Buffer.from('q"u\\o\ttab'),
    Buffer.from([0x61, 0xff, 0xfe, 0xc3, 0x28, 0x20, 0xe2, 0x82, 0x22, 0x5c, 0x7b]), // invalid UTF-8, a quote, a backslash
    Buffer.from('caf\u00e9 \u2028 ok'), // valid UTF-8, with a JS line separator in it
  ];
  const sent: { uri: string; ua: Buffer }[] = [];
  for (const uri of uris) {
    for (const ua of agents) {
      const bytes = Buffer.concat([Buffer.from(`GET ${uri} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nUser-Agent: `, 'latin1'), ua, Buffer.from('\r\n\r\n')]);
      const r = await raw(t.url, bytes);
      assert.match(r.text, /^HTTP\/1\.1 200 /, `${uri}: ${r.text}`);
      sent.push({ uri, ua });
    }
  }
  await request(`${t.url}/log`);
  const parsed = () => t.output().trimEnd().split('\n').map((l) => {
    try {
      return JSON.parse(l) as Record<string, unknown>;
    } catch {
      throw new Error(`not a JSON line: ${l}`);
    }
  });
  await waitFor('every request line', () => parsed().filter((o) => o.type === 'request').length === sent.length + 1 && parsed().some((o) => o.stream === 'stderr'));
  const lines = parsed();
  const reqs = lines.filter((o) => o.type === 'request');
  for (const [i, s] of sent.entries()) {
    const o = reqs[i];
    assert.equal(o.uri, s.uri);
    assert.deepEqual(Buffer.from(o.uagent as string, 'latin1'), s.ua, 'the client\'s bytes, exactly');
    assert.equal(o.method, 'GET');
    assert.equal(o.status, 200);
    assert.equal(o.wid, 1);
    assert.equal(typeof o.pid, 'number');
    assert.ok((o.size as number) > 0 && (o.duration_ms as number) >= 0 && (o.queue_ms as number) >= 0);
    assert.equal(o.addr, '127.0.0.1');
    assert.match(o.request_id as string, UUID);
    assert.equal(o.retried, false);
    assert.ok(!Number.isNaN(Date.parse(o.time as string)) && (o.time as string).endsWith('Z'));
  }
  assert.ok(lines.some((o) => o.type === 'tsws' && o.level === 'info' && /ready on/.test(o.msg as string)), 'lifecycle lines in JSON');
  const appLines = lines.filter((o) => o.type === 'app');
  const text = appLines.find((o) => o.stream === 'stdout' && typeof o.msg === 'string' && (o.msg as string).includes('text line'));
  assert.deepEqual(text && { wid: text.wid, msg: text.msg }, { wid: 1, msg: 'a text line with "quotes" and a \\ backslash' });
  const structured = appLines.find((o) => o.stream === 'stderr');
  assert.deepEqual(structured?.json, { level: 'warn', msg: 'structured', n: 1 }, 'a JSON line of the app is an object, not a string');
  assert.equal(await t.stop(), 0);
});

test('request ids: generated when absent, kept from a trusted peer, replaced from any other; the same in the app, the response and the line', async () => {
  // forwarded-allow-ips trusts 127.0.0.2 only: the test's requests from 127.0.0.2 are the trusted proxy's.
  const t = await startTsws({ ini: `${app}\nprocesses = 1\nrequest-id = true\nforwarded-allow-ips = 127.0.0.2\nserver-timing = true` });
  const ask = async (headers: Record<string, string>, localAddress = '127.0.0.1') => {
    const r = await request(`${t.url}/id`, { headers, localAddress });
    const body = JSON.parse(r.body) as { id: string; traceparent: string | null; tracestate: string | null };
    assert.equal(r.headers['x-request-id'], body.id, 'the response carries the id the app got');
    assert.match(r.headers['server-timing'] as string, /^queue;dur=\d+\.\d, worker;dur=\d+\.\d$/);
    return body;
  };
  const absent = await ask({});
  assert.match(absent.id, UUID);
  const trusted = await ask({ 'X-Request-Id': 'edge-7f3a.42' }, '127.0.0.2');
  assert.equal(trusted.id, 'edge-7f3a.42');
  const untrusted = await ask({ 'x-request-id': 'chosen-by-client' });
  assert.match(untrusted.id, UUID);
  // A trusted peer's id that could break a log (too long) is replaced too.
  assert.match((await ask({ 'X-Request-Id': 'x'.repeat(201) }, '127.0.0.2')).id, UUID);
  const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  const traced = await ask({ traceparent: tp, tracestate: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7' });
  assert.deepEqual([traced.traceparent, traced.tracestate], [tp, 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7'], 'W3C trace context untouched');
  for (const id of [absent.id, trusted.id, untrusted.id]) {
    await t.waitForLog(new RegExp(`GET /id => generated \\d+ bytes in \\d+ msecs \\(HTTP/1\\.1 200\\) rid=${id.replace(/\./g, '\\.')}$`, 'm'));
    await t.waitForLog(new RegExp(`^\\[wid: 1\\] \\{"msg":"handled","requestId":"${id.replace(/\./g, '\\.')}"\\}$`, 'm'));
  }
  assert.ok(!t.output().includes('chosen-by-client'));
  assert.equal(await t.stop(), 0);
});

test('app metrics: a prom-client counter and histogram summed over workers recycled by max-requests, never going back', async () => {
  const t = await startTsws({ ini: `${app}\nprocesses = 2\nmax-requests = 25\nstats = 127.0.0.1:0\nstats-http = true` });
  const base = `http://127.0.0.1:${(await t.waitForLog(/stats on http:\/\/127\.0\.0\.1:(\d+)/))[1]}`;
  const value = (text: string, series: string): number => {
    const m = new RegExp(`^${series.replace(/[{}"/+.]/g, '\\$&')} (\\S+)$`, 'm').exec(text);
    return m ? Number(m[1]) : 0;
  };
  const total = 300;
  const l = load(t.url, { clients: 4, count: total, path: '/' });
  let ended = false;
  void l.finally(() => (ended = true));
  const seen: number[] = [];
  const seenCount: number[] = [];
  while (!ended) {
    const text = (await request(`${base}/metrics`)).body;
    seen.push(value(text, 'app_requests_total{route="/"}'));
    seenCount.push(value(text, 'app_request_duration_seconds_count'));
  }
  const result = await l;
  assert.equal(result.ok, total, JSON.stringify(result));
  // Both workers may have just been recycled by the last requests: gauges come from live workers, so the
  // final scrape waits for a replacement to serve too.
  const final = await waitFor('the app\'s total in /metrics, and a serving worker\'s gauges', async () => {
    const text = (await request(`${base}/metrics`)).body;
    return value(text, 'app_requests_total{route="/"}') === total && /^app_busy_requests\{worker=/m.test(text) && text;
  });
  seen.push(value(final, 'app_requests_total{route="/"}'));
  seenCount.push(value(final, 'app_request_duration_seconds_count'));
  for (const s of [seen, seenCount]) for (let i = 1; i < s.length; i++) assert.ok(s[i] >= s[i - 1], `went back at scrape ${i}: ${s.join(' ')}`);
  assert.ok(seen.length >= 3, `scraped ${seen.length} times during the load`);
  assert.equal(value(final, 'app_request_duration_seconds_count'), total, final);
  assert.equal(value(final, 'app_request_duration_seconds_bucket{le="+Inf"}'), total);
  const recycled = [...final.matchAll(/^tsws_recycles_total\{reason="max-requests"\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
  assert.ok(recycled >= 8, `workers recycled by max-requests: ${recycled}`);
  // Gauges are per worker; a metric the app marked aggregator: 'omit' stays out.
  assert.match(final, /^app_busy_requests\{worker="[12]"\} \d+$/m);
  assert.doesNotMatch(final, /app_private_gauge/);
  assert.equal(final.match(/^# TYPE app_requests_total counter$/gm)?.length, 1);
  if (spawnSync('sh', ['-c', 'command -v promtool']).status === 0) {
    const r = spawnSync('promtool', ['check', 'metrics'], { input: final, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  }
  assert.equal(await t.stop(), 0);
});
