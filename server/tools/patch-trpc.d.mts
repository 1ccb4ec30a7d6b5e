export const ORIGINAL: string;
export const REPLACEMENT: string;
export interface PatchResult {
  patched: string[];
  already: string[];
  unknown: string[];
}
export function patchTrpc(distDir: string): PatchResult;
export function trpcDistDir(): string;
