export async function controlCommand(_c: string, _p: string): Promise<number> { return 1; }
