// Raw HTTP for tests: bytes as written, answers as received (latin1), for what a client library would fix up
// or refuse to send.
import { connect } from 'node:net';

/** Send raw bytes; resolve with everything received once the server closes or `quietMs` pass without data. */
export function raw(url: string, bytes: string | Buffer, quietMs = 1500): Promise<{ text: string; closed: boolean }> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = connect(Number(u.port), u.hostname);
    let got = '';
    let t = setTimeout(() => end(false), quietMs);
    const end = (closed: boolean) => {
      clearTimeout(t);
      s.destroy();
      resolve({ text: got, closed });
    };
    s.on('data', (b) => {
      got += b.toString('latin1');
      clearTimeout(t);
      t = setTimeout(() => end(false), quietMs);
    });
    s.on('close', () => end(true));
    s.on('error', () => {});
    s.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  });
}
