// A web-standard fetch handler: the shape Hono, itty-router and friends export (`export default app`).
export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (request.method === 'POST') {
      const body = await request.json().catch(() => null);
      return Response.json({ received: body });
    }
    return new Response(`hello from ${url.pathname} (pid ${process.pid})\n`, { headers: { 'content-type': 'text/plain' } });
  },
};
