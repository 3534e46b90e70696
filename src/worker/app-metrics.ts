// The worker's half of app metrics (master/app-metrics.ts is the other): the app's prom-client default
// registry as JSON, the shape prom-client's own cluster aggregator sends between processes
// (register.getMetricsAsJSON()). tsws depends on no prom-client: it uses the app's own copy, resolved from
// the app module as the app's `require('prom-client')` or `import 'prom-client'` resolves it, and only once
// the app has loaded it (it is in the module cache): an app that does not use prom-client never loads it
// because of tsws, and one that does is read through the very instance whose registry it fills.
import { createRequire } from 'node:module';
import type { AppMetric } from './protocol.js';

/** A registry that does not answer within this (a gauge's collect() stuck on I/O) is skipped this time. */
const READ_TIMEOUT_MS = 1000;

interface PromClient {
  register: { getMetricsAsJSON(): Promise<AppMetric[]> | AppMetric[] };
}

export function appMetricsReader(modulePath: string): () => Promise<AppMetric[] | null> {
  const require = createRequire(modulePath);
  let resolved: string | null | undefined;
  return async () => {
    if (resolved === undefined) {
      try {
        resolved = require.resolve('prom-client');
      } catch {
        resolved = null; // not installed where the app is: it cannot be using it
      }
    }
    if (resolved === null || !(resolved in require.cache)) return null;
    try {
      const client = require(resolved) as PromClient;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<null>((r) => (timer = setTimeout(() => r(null), READ_TIMEOUT_MS)));
      const got = await Promise.race([Promise.resolve(client.register.getMetricsAsJSON()), timeout]);
      clearTimeout(timer);
      return got;
    } catch (err) {
      // The app's own collect() threw: its metrics are skipped this time, and the app hears why.
      process.stderr.write(`app metrics: prom-client's registry failed: ${err instanceof Error ? err.message : String(err)}\n`);
      return null;
    }
  };
}
