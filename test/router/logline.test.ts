// Issue 17: the request log's uWSGI variables (log-format) and uWSGI's log-4xx/-5xx/-slow/-big/-zero rule.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { basicUser, compileFormat, ctime, defaultFormat, jsonFormat, logAnyway, type RequestRecord } from '../../src/router/logline.js';

/** A Basic Authorization header for `user`. */
function basicAuth(user: string): string {
  return `Basic ${Buffer.from(`${user}:secret`).toString('base64')}`;
}

/** A status line and 4 headers, 100 bytes in all (as Node writes them, with the blank line). */
const HEAD = 'HTTP/1.1 201 Created\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: ' + 'x'.repeat(100 - 47) + '\r\n\r\n';

const rec: RequestRecord = {
  addr: '10.0.0.1', authorization: basicAuth('ann'), method: 'POST', uri: '/x', proto: 'HTTP/1.1', status: 201, size: 130, head: HEAD, cl: 12,
  micros: 1_500_000, wid: 2, pid: 42, workerRequests: 3, totalRequests: 9, host: 'h', uagent: 'ua', referer: 'r',
  queueMicros: 2500, requestId: '', retried: false,
};

describe('log-format variables', () => {
  it('fills the uWSGI variables with their uWSGI meaning', () => {
    const line = compileFormat('%(addr) (%(user)) %(method) %(uri) %(status) %(size) %(rsize) %(hsize) %(headers) %(cl) %(msecs) %(secs)')(rec);
    assert.equal(line, '10.0.0.1 (ann) POST /x 201 130 30 100 4 12 1500 1.500000');
  });
  it('times the request from its start: %(time), %(tmsecs), %(tmicros), %(ctime)', () => {
    const before = Date.now() - 1500;
    const [time, tmsecs, tmicros] = compileFormat('%(time) %(tmsecs) %(tmicros)')(rec).split(' ').map(Number);
    assert.ok(Math.abs(tmsecs - before) < 1000 && Math.abs(time - before / 1000) < 2 && Math.abs(tmicros / 1000 - tmsecs) < 2);
    assert.match(compileFormat('%(ctime)')(rec), /^(Sun|Mon|Tue|Wed|Thu|Fri|Sat) [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}$/);
    assert.equal(ctime(new Date(2026, 11, 1, 7, 8, 9).getTime()), 'Tue Dec  1 07:08:09 2026');
  });
  it('takes %(user) from Basic authorization only', () => {
    assert.equal(basicUser(`Basic ${Buffer.from('bob:secret').toString('base64')}`), 'bob');
    assert.equal(basicUser('Bearer abc'), '');
    assert.equal(basicUser(undefined), '');
  });
});

describe('log-4xx, log-5xx, log-slow, log-big, log-zero', () => {
  it('is off unless one is set', () => {
    assert.equal(logAnyway({ status4xx: false, status5xx: false, slowMs: 0, big: 0, zero: false }), null);
  });
  it('logs the requests each names, and no other', () => {
    const only = logAnyway({ status4xx: true, status5xx: false, slowMs: 500, big: 1000, zero: true })!;
    assert.equal(only(404, 1000, 10), true);
    assert.equal(only(499, 1000, 10), true, 'a client that went away (499) is a 4xx');
    assert.equal(only(502, 1000, 10), false);
    assert.equal(only(200, 600_000, 10), true, 'slow: 600 ms');
    assert.equal(only(200, 1000, 1000), true, 'big');
    assert.equal(only(204, 1000, 0), true, 'zero');
    assert.equal(only(200, 1000, 10), false);
    assert.equal(logAnyway({ status4xx: false, status5xx: true, slowMs: 0, big: 0, zero: false })!(503, 0, 5), true);
  });
});

// Issue 16: what a client sends never breaks a line. Node hands the router header values one code point per
// byte (latin1), so a client's invalid UTF-8 is U+0080–U+00FF here; Buffer.from(v, 'latin1') is its bytes.
describe('escaping what clients send (issue 16)', () => {
  const nasty = [
    '/a"b\\c?q=%22\\',
    'quote " backslash \\ tab \t nul \u0000 esc \u001b del \u007f newline \n cr \r',
    Buffer.from([0x61, 0xff, 0xfe, 0xc3, 0x28, 0xc3, 0xa9, 0xe2, 0x82]).toString('latin1'),
    '\u2028\u2029 \ud800 lone surrogate',
  ];
  it('log-encoder = json: every line parses, is ASCII, and gives the values back', () => {
    for (const v of nasty) {
      const line = jsonFormat({ ...rec, uri: v, uagent: v, referer: v, host: v, requestId: 'id-1', retried: true });
      assert.match(line, /^[\x20-\x7e]+$/, 'one line of printable ASCII');
      const o = JSON.parse(line);
      for (const k of ['uri', 'uagent', 'referer', 'host']) assert.equal(o[k], v, k);
      assert.deepEqual([o.type, o.wid, o.pid, o.status, o.size, o.duration_ms, o.queue_ms, o.request_id, o.retried, o.addr, o.method],
        ['request', 2, 42, 201, 130, 1500, 2.5, 'id-1', true, '10.0.0.1', 'POST']);
      assert.ok(Math.abs(Date.parse(o.time) - (Date.now() - 1500)) < 1000, 'ISO time of arrival');
    }
    assert.equal(JSON.parse(jsonFormat(rec)).request_id, null);
    // The user comes from a Basic Authorization header: quotes and backslashes in it round-trip too.
    assert.equal(JSON.parse(jsonFormat({ ...rec, authorization: basicAuth('an"n\\x') })).user, 'an"n\\x');
  });
  it('a log-format that is a JSON object gets JSON-escaped values (uWSGI #1293)', () => {
    const f = compileFormat('{"uri":"%(uri)","ua":"%(uagent)","status":%(status),"id":"%(request_id)"}');
    for (const v of nasty) assert.deepEqual(JSON.parse(f({ ...rec, uri: v, uagent: v, requestId: 'r' })), { uri: v, ua: v, status: 201, id: 'r' });
  });
  it('a text line escapes control characters, so no value ends the line', () => {
    const line = compileFormat('%(uri) %(uagent)')({ ...rec, uri: '/x', uagent: 'a\nb\tc"d' });
    assert.equal(line, '/x a\\x0ab\\x09c"d');
    assert.ok(!defaultFormat({ ...rec, uri: '/a\r\nforged' }).includes('\n'));
    assert.match(defaultFormat({ ...rec, requestId: 'abc' }), / rid=abc$/);
    assert.doesNotMatch(defaultFormat(rec), /rid=/);
  });
});
