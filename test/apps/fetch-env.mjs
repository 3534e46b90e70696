// A fetch handler that reads what @hono/node-server passes as its second argument (Hono's getConnInfo reads
// env.incoming.socket.remoteAddress), and answers a known-length body, a stream, and an empty one.
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === '/conn') return Response.json({ address: env.incoming.socket.remoteAddress, hasOutgoing: typeof env.outgoing.setHeader === 'function' });
    if (url.pathname === '/empty') return new Response(null, { status: 200 });
    if (url.pathname === '/stream') {
      let n = 0;
      const body = new ReadableStream({
        async pull(c) {
          await new Promise((r) => setTimeout(r, 50));
          if (++n > 3) c.close();
          else c.enqueue(new TextEncoder().encode(`chunk ${n}\n`));
        },
      });
      return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
    }
    return new Response('hello, known length');
  },
};
