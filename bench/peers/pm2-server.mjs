// samples/leak.js behind a plain Node http server, for PM2's cluster mode (PM2 runs scripts, not handlers).
import { createServer } from 'node:http';
import leak from '../../samples/leak.js';

createServer(leak).listen(Number(process.env.PORT), '127.0.0.1');
