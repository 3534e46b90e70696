// Lingering close (nginx's lingering_close): an app that answers before reading the whole body (413 to an
// upload) and closes makes the router's next write of that body fail with EPIPE, and Node then destroys the
// router's socket before it has read the answer (10-14 of 40 clients got 502 in issue 10). So the connection
// is closed only once the rest of the body has been read and discarded, for at most LINGER_MS.
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';

const LINGER_MS = 30_000;
const kRequest = Symbol('tsws.request');
type Lingering = Socket & { [kRequest]?: IncomingMessage };

/** The request being served on its connection: the one whose body a close waits for. */
export function lingering(req: IncomingMessage): void {
  (req.socket as Lingering)[kRequest] = req;
}

export function lingerOnClose(server: Server): void {
  server.on('connection', (s: Lingering) => {
    const destroySoon = s.destroySoon.bind(s);
    s.destroySoon = () => {
      const req = s[kRequest];
      if (!req || req.complete || s.destroyed) return destroySoon();
      const t = setTimeout(destroySoon, LINGER_MS);
      req.once('end', () => {
        clearTimeout(t);
        destroySoon();
      });
      req.resume();
    };
  });
}
