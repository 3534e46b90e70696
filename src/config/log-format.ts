// The vocabulary of log-format: the %(var) names tsws knows. It lives with the configuration, not the router,
// so that the loader can reject a typo with its FILE:LINE without importing the router; the router's
// logline.ts implements exactly these names (its table is typed by LogFormatVar, so a name added here
// without an implementation there does not compile).

/** uWSGI's request-line variables that tsws fills, in the order the error message lists them. */
export const LOG_FORMAT_VARS = ['addr', 'method', 'uri', 'proto', 'status', 'size', 'msecs', 'micros', 'wid', 'pid', 'host', 'uagent', 'referer', 'ltime', 'time', 'epoch'] as const;

export type LogFormatVar = (typeof LOG_FORMAT_VARS)[number];

/** `%(name)`: one variable reference in a log-format. */
export const LOG_FORMAT_VAR_RE = /%\(([^)]*)\)/g;

export function isLogFormatVar(name: string): name is LogFormatVar {
  return (LOG_FORMAT_VARS as readonly string[]).includes(name);
}

/** The %(var) names of a log-format that tsws does not know. */
export function unknownFormatVars(format: string): string[] {
  return [...format.matchAll(LOG_FORMAT_VAR_RE)].map((m) => m[1]).filter((name) => !isLogFormatVar(name));
}
