// Bind the router's address in the master, at startup: "address in use" is an immediate, clear error, and
// the socket then outlives every worker recycle and reload.
import { chmodSync, chownSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { parseAddress } from '../config/values.js';
import { socketOwner } from './privileges.js';
import { StartupError } from './startup-error.js';
import { freeUnixSocketPath } from './unix-socket.js';

/**
 * Listen on `address` (or an inherited socket fd); resolves to the bound address as a string for the log.
 * `chmod`/`chown`: mode and owner of a unix-socket address (chmod-socket, chown-socket), set right after bind.
 */
export async function bind(server: Server, address: string | number, backlog: number, chmod: string | null, chown: string | null = null): Promise<string> {
  if (typeof address === 'number') {
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e) => reject(new StartupError(`http: cannot use the socket systemd passed (fd ${address}): ${e.message}`)));
      server.listen({ fd: address }, resolve);
    });
    const info = server.address();
    return typeof info === 'string' ? `unix:${info}` : info ? `http://${info.family === 'IPv6' ? `[${info.address}]` : info.address}:${info.port} (systemd socket)` : `fd ${address}`;
  }
  const a = parseAddress(address);
  if (a.kind === 'unix') await freeUnixSocketPath(a.path, 'http');
  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      const why = e.code === 'EADDRINUSE' ? 'address already in use' : e.code === 'EACCES' ? 'permission denied' : e.message;
      reject(new StartupError(`http: cannot listen on ${address}: ${why}`));
    };
    server.once('error', onError);
    const done = () => {
      server.off('error', onError);
      resolve();
    };
    if (a.kind === 'unix') server.listen({ path: a.path, backlog }, done);
    else server.listen({ host: a.host || undefined, port: a.port, backlog }, done);
  });
  if (a.kind === 'unix') {
    if (chmod) chmodSync(a.path, parseInt(chmod, 8));
    if (chown) {
      const { uid, gid } = socketOwner(chown);
      try {
        chownSync(a.path, uid, gid);
      } catch (e) {
        throw new StartupError(`chown-socket: cannot give ${a.path} to ${chown}: ${(e as NodeJS.ErrnoException).code ?? String(e)} (changing the owner needs root)`);
      }
    }
    return `unix:${a.path}`;
  }
  const info = server.address() as AddressInfo;
  const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
  return `http://${host}:${info.port}`;
}

/**
 * Listen on a further address (a second `http`, a second socket from systemd) for the router's http.Server:
 * a net.Server whose connections are handed to it, so that every address shares one parser, one set of limits
 * and deadlines, and one connection tracking (Node documents emitting 'connection' to inject a socket). Its
 * accept errors (EMFILE) go to the http.Server's 'error' listeners, as its own do.
 */
export async function bindAlso(server: Server, address: string | number, backlog: number, chmod: string | null, chown: string | null): Promise<{ listener: Server; where: string }> {
  // As http.Server does by default: the router writes whole answers, Nagle would only delay them.
  const listener = createServer({ noDelay: true }, (socket) => server.emit('connection', socket));
  const where = await bind(listener, address, backlog, chmod, chown);
  listener.on('error', (e) => server.emit('error', e));
  return { listener, where };
}
