// A problem the master meets while it sets up (binding, fifos, stats, privileges): logged as it is, and
// the master exits 1 without starting any worker.
export class StartupError extends Error {}
