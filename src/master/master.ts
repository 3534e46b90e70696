import type { Loaded } from '../config/load.js'; export async function serve(_l: Loaded): Promise<number> { return 1; }
