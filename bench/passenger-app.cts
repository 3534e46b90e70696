// The hello app for Phusion Passenger: its Node loader require()s a CommonJS startup file and takes over the
// first http.Server that calls listen() (the port is ignored), so this wrapper loads the app the way tsws and
// the node:cluster contender do (tsws's loadApp) and listens. The app's path comes in TSWS_BENCH_APP
// (`passenger start --envvar`).
import { createServer } from 'node:http';

async function main(): Promise<void> {
  const { loadApp } = (await import('../src/worker/app.js')) as typeof import('../src/worker/app.js');
  const app = await loadApp(process.env.TSWS_BENCH_APP!);
  createServer((req, res) => void app.listener(req, res)).listen(3000);
}
void main();
