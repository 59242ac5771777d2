/** A short reason for metrics labels: an error's stable `code`, else its class name. */
export function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : (err as Error | null)?.name ?? 'Error';
}
