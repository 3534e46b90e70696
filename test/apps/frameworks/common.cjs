// Shared by the framework apps: what /who answers, and a mark that the app's own SIGTERM handler ran.
const { writeFileSync } = require('node:fs');
exports.who = (ip, headers) => ({ pid: process.pid, ip, headers, worker: process.env.TSWS_WORKER_ID ?? null });
exports.markSigterm = (what) => {
  if (process.env.MARKS) writeFileSync(`${process.env.MARKS}/sigterm-${process.pid}`, what);
};
exports.port = Number(process.env.APP_PORT ?? 3000);
