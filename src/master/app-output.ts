// The app's stdout and stderr, one line at a time, tagged with the worker it came from: `[wid: 3] …` in text,
// `{"type":"app","wid":3,…}` with log-encoder = json (log.ts writes both). A worker's pipe delivers chunks,
// not lines, so each stream keeps the unfinished end of its last chunk until the rest arrives; a line longer
// than MAX_LINE is written in pieces rather than held (one app printing megabytes with no newline must not
// grow the master). A multi-byte character split between two chunks is joined by the decoder.
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import * as log from '../log.js';

const MAX_LINE = 64 * 1024;

export function tagOutput(stream: Readable, name: 'stdout' | 'stderr', wid: number, pid: number): void {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  stream.on('data', (b: Buffer) => {
    let text = rest + decoder.write(b);
    let nl = text.indexOf('\n');
    let from = 0;
    while (nl !== -1) {
      log.appLine(wid, pid, name, text.slice(from, nl));
      from = nl + 1;
      nl = text.indexOf('\n', from);
    }
    text = text.slice(from);
    while (text.length > MAX_LINE) {
      log.appLine(wid, pid, name, text.slice(0, MAX_LINE));
      text = text.slice(MAX_LINE);
    }
    rest = text;
  });
  // The last line of a process that ended without a newline (a crash message) is still a line.
  stream.on('end', () => {
    const last = rest + decoder.end();
    rest = '';
    if (last) log.appLine(wid, pid, name, last);
  });
}
