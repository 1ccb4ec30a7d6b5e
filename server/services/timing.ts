/**
 * Resolves no earlier than `ms` after `startedAt`, so that answers which must
 * not reveal whether an account exists take the same time either way.
 */
export async function notBefore(startedAt: number, ms: number): Promise<void> {
  const left = startedAt + ms - Date.now();
  if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
}
