// Answers process.env.GREETING, after loading for SLOW_START_MS: a reload test kills the old worker while its
// successor is still loading.
await new Promise((resolve) => setTimeout(resolve, Number(process.env.SLOW_START_MS ?? 0)));
export default (req, res) => res.end(String(process.env.GREETING));
