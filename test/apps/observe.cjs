// Issue 16: an app as a team writes it, with prom-client's default registry and no tsws code: a counter, a
// histogram and a gauge. /id answers the ids it was given; /log prints a text line and a JSON line.
const client = require('prom-client');

const requests = new client.Counter({ name: 'app_requests_total', help: 'Requests the app served.', labelNames: ['route'] });
const duration = new client.Histogram({ name: 'app_request_duration_seconds', help: 'Time the app took.', buckets: [0.001, 0.01, 0.1, 1] });
const busy = new client.Gauge({ name: 'app_busy_requests', help: 'Requests in the app now.' });
// An app's way of keeping a metric to itself: prom-client's own aggregator knob.
new client.Gauge({ name: 'app_private_gauge', help: 'Not for the pool.', aggregator: 'omit' }).set(1);

module.exports = (req, res) => {
  const end = duration.startTimer();
  busy.inc();
  const route = req.url.split('?')[0];
  requests.inc({ route: route === '/id' || route === '/log' ? route : '/' });
  if (route === '/id') {
    const id = req.headers['x-request-id'] ?? null;
    console.log(JSON.stringify({ msg: 'handled', requestId: id }));
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ id, traceparent: req.headers.traceparent ?? null, tracestate: req.headers.tracestate ?? null }));
  } else if (route === '/log') {
    console.log('a text line with "quotes" and a \\ backslash');
    console.error(JSON.stringify({ level: 'warn', msg: 'structured', n: 1 }));
    res.end('logged');
  } else {
    res.end('ok');
  }
  busy.dec();
  end();
};
