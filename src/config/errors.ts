// A configuration problem, always reported as `WHERE: key: what is wrong (what is accepted)`, where WHERE is
// FILE:LINE for INI entries, `environment TSWS_X` or `command line --x`.
export class ConfigError extends Error {
  constructor(
    readonly where: string,
    readonly key: string | null,
    readonly problem: string,
    readonly accepted?: string,
  ) {
    super(`${where}: ${key ? `${key}: ` : ''}${problem}${accepted ? ` (${accepted})` : ''}`);
  }
}

/** Thrown by loadConfig with every problem found, so the user fixes them all in one go. */
export class ConfigErrors extends Error {
  constructor(
    readonly errors: ConfigError[],
    readonly warnings: readonly string[] = [],
  ) {
    super(errors.map((e) => e.message).join('\n'));
  }
}

/** EX_CONFIG from sysexits.h: the exit code of every configuration error. */
export const EX_CONFIG = 78;

/** Closest spelling within a small edit distance, for "did you mean". */
export function suggest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

// Damerau-Levenshtein (optimal string alignment): a swapped pair of letters, the commonest typo, costs 1.
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}
