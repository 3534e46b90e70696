export async function runTop(_a: string[]): Promise<number> { return 1; }
