// A web-standard fetch handler (the shape Hono and friends export).
export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (request.method === 'POST') {
      const text = await request.text();
      return new Response(`got ${text.length} bytes`, { status: 201 });
    }
    const headers = new Headers({ 'content-type': 'text/plain' });
    headers.append('set-cookie', 'a=1');
    headers.append('set-cookie', 'b=2');
    return new Response(`fetch ${url.pathname} from ${process.pid}`, { headers });
  },
};
