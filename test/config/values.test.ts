// Value parsers by registry type: what each accepts, and the message for what it does not.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatAddress,
  parseAddress,
  parseBool,
  parseCount,
  parseDuration,
  parseOctal,
  parseSize,
  parseValue,
  ValueError,
} from '../../src/config/values.js';
import { OPTION_NAMES, spec, MiB } from '../../src/config/options.js';

const HINT = /no inline comments/;

describe('parseBool', () => {
  it('accepts uWSGI spellings of true, in any case, and the empty value of a bare key', () => {
    for (const v of ['', 'true', 'TRUE', 'True', 'yes', 'Yes', 'on', 'ON', '1']) assert.equal(parseBool(v), true, v);
  });
  it('accepts uWSGI spellings of false, in any case', () => {
    for (const v of ['false', 'FALSE', 'no', 'No', 'off', 'OFF', '0']) assert.equal(parseBool(v), false, v);
  });
  it('rejects anything else (uWSGI takes "banana" as true)', () => {
    for (const v of ['banana', '2', 'y', 'n', 'true ; yes', '-1']) {
      // (`true ; yes` also gets the inline-comment hint since issue 17: the message starts the same.)
      assert.throws(() => parseBool(v), (e: unknown) => e instanceof ValueError && e.message.startsWith(`"${v}" is not a boolean`));
    }
  });
});

describe('parseCount', () => {
  it('parses whole numbers', () => {
    assert.equal(parseCount('0'), 0);
    assert.equal(parseCount('4'), 4);
    assert.equal(parseCount('007'), 7);
    assert.equal(parseCount('4', 1), 4);
  });
  it('rejects what uWSGI atoi would quietly turn into a number', () => {
    for (const v of ['true', '', '4.0', '2.5', '-1', '4x', ' 4', '1e3', '0x10']) {
      assert.throws(() => parseCount(v, 1), /is not a whole number/, v);
    }
  });
  it('enforces the minimum and safe integers', () => {
    assert.throws(() => parseCount('0', 1), (e: unknown) => e instanceof ValueError && e.message === '0 is out of range' && e.accepted === 'a whole number >= 1');
    assert.throws(() => parseCount('99999999999999999999'), /out of range/);
  });
  it('points at the inline comment uWSGI would have kept', () => {
    assert.throws(() => parseCount('4 ; four', 1), HINT);
    assert.throws(() => parseCount('4 # four', 1), HINT);
    assert.throws(() => parseCount('four', 1), (e: unknown) => e instanceof ValueError && !HINT.test(e.message));
  });
});

describe('parseSize', () => {
  it('parses 1G as 1073741824 bytes', () => {
    assert.equal(parseSize('1G'), 1073741824);
  });
  it('takes a bare number in MiB by default, as uWSGI reload-on-rss', () => {
    assert.equal(parseSize('400'), 400 * MiB);
    assert.equal(parseSize('0'), 0);
    assert.equal(parseSize('1.5'), 1.5 * MiB);
  });
  it('takes a bare number in bytes for unit=bytes, as buffer-size', () => {
    assert.equal(parseSize('32768', 'bytes'), 32768);
    assert.equal(parseSize('65535', 'bytes'), 65535);
  });
  it('accepts binary k, M, G, T suffixes in any case, with optional B / iB', () => {
    assert.equal(parseSize('512k'), 512 * 1024);
    assert.equal(parseSize('512K', 'bytes'), 512 * 1024);
    assert.equal(parseSize('400M'), 400 * MiB);
    assert.equal(parseSize('400m'), 400 * MiB);
    assert.equal(parseSize('1.5G'), 1.5 * 1024 * MiB);
    assert.equal(parseSize('1GiB'), 1073741824);
    assert.equal(parseSize('100MB'), 100 * MiB);
    assert.equal(parseSize('2T'), 2 * 1024 ** 4);
    assert.equal(parseSize('64b', 'MiB'), 64);
    assert.equal(parseSize('1 G'), 1073741824);
  });
  it('rejects what is not a size, with a hint for inline comments', () => {
    for (const v of ['lots', '', '-1G', '1X', 'G', '1.G', '1,5G']) assert.throws(() => parseSize(v), /is not a size/, v);
    assert.throws(() => parseSize('1G ; one gig'), HINT);
  });
});

describe('parseDuration', () => {
  it('takes a bare number as seconds', () => {
    assert.equal(parseDuration('30'), 30);
    assert.equal(parseDuration('0'), 0);
    assert.equal(parseDuration('1.5'), 1.5);
  });
  it('accepts ms, s, m, h, d suffixes', () => {
    assert.equal(parseDuration('500ms'), 0.5);
    assert.equal(parseDuration('30s'), 30);
    assert.equal(parseDuration('2m'), 120);
    assert.equal(parseDuration('1h'), 3600);
    assert.equal(parseDuration('1d'), 86400);
    assert.equal(parseDuration('2M'), 120);
    assert.equal(parseDuration('250MS'), 0.25);
  });
  it('gives exact milliseconds (700ms is 0.7, not 0.7000000000000001)', () => {
    assert.equal(parseDuration('700ms'), 0.7);
    assert.equal(parseDuration('300ms'), 0.3);
    assert.equal(parseDuration('1ms'), 0.001);
  });
  it('rejects what is not a duration', () => {
    for (const v of ['soon', '', '-1', '1w', '1m30s', 's']) assert.throws(() => parseDuration(v), /is not a duration/, v);
    assert.throws(() => parseDuration('30 # seconds'), HINT);
  });
});

describe('parseAddress', () => {
  it('parses host:port, :port and [ipv6]:port', () => {
    assert.deepEqual(parseAddress('127.0.0.1:8000'), { kind: 'tcp', host: '127.0.0.1', port: 8000 });
    assert.deepEqual(parseAddress(':8000'), { kind: 'tcp', host: '', port: 8000 });
    assert.deepEqual(parseAddress('localhost:0'), { kind: 'tcp', host: 'localhost', port: 0 });
    assert.deepEqual(parseAddress('[::1]:9090'), { kind: 'tcp', host: '::1', port: 9090 });
  });
  it('takes a path as a unix socket', () => {
    assert.deepEqual(parseAddress('/run/app.sock'), { kind: 'unix', path: '/run/app.sock' });
    assert.deepEqual(parseAddress('app.sock'), { kind: 'unix', path: 'app.sock' });
    assert.deepEqual(parseAddress('./run/http'), { kind: 'unix', path: './run/http' });
  });
  it('rejects a bare port, a missing port and a port out of range', () => {
    assert.throws(() => parseAddress('8000'), /is not an address/);
    assert.throws(() => parseAddress('localhost'), /is not an address/);
    assert.throws(() => parseAddress('::1:80'), /is not an address/);
    assert.throws(() => parseAddress(':70000'), /port 70000 is out of range/);
  });
  it('formats addresses back', () => {
    assert.equal(formatAddress(parseAddress('[::1]:9090')), '[::1]:9090');
    assert.equal(formatAddress(parseAddress(':8000')), ':8000');
    assert.equal(formatAddress(parseAddress('/run/app.sock')), '/run/app.sock');
  });
});

describe('parseOctal', () => {
  it('takes three octal digits, with an optional leading 0', () => {
    assert.equal(parseOctal('660'), '0660');
    assert.equal(parseOctal('022'), '0022');
    assert.equal(parseOctal('0644'), '0644');
  });
  it('rejects anything else', () => {
    for (const v of ['999', '66', '06600', 'rw', '']) assert.throws(() => parseOctal(v), /is not an octal mode/, v);
  });
});

describe('parseValue', () => {
  it('enforces a size minimum', () => {
    const s = spec('buffer-size');
    assert.equal(parseValue(s, '32k'), 32768);
    assert.equal(parseValue(s, '1024'), 1024);
    assert.throws(() => parseValue(s, '512'), /512 is below the minimum/);
  });
  it('enforces a duration minimum', () => {
    assert.equal(parseValue(spec('master-interval'), '250ms'), 0.25);
    assert.throws(() => parseValue(spec('master-interval'), '10ms'), /below the minimum/);
  });
  it('keeps an address as written', () => {
    assert.equal(parseValue(spec('http'), '[::1]:9090'), '[::1]:9090');
  });
  it('rejects empty strings and paths, keeps everything else literally', () => {
    assert.throws(() => parseValue(spec('module'), ''), /the value is empty/);
    assert.throws(() => parseValue(spec('chdir'), ''), /the value is empty/);
    assert.equal(parseValue(spec('module'), '"app.js" ; x'), '"app.js" ; x');
  });
  it('round-trips every scalar default of the registry through its own parser', () => {
    for (const name of OPTION_NAMES) {
      const s = spec(name);
      if (s.list || s.default === null) continue;
      const text = s.type === 'size' && s.unit !== 'bytes' ? `${Number(s.default) / MiB}` : String(s.default);
      assert.deepEqual(parseValue(s, text), s.default, `${name} = ${text}`);
    }
  });
});
