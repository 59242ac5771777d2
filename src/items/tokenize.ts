/**
 * Tokens for search: runs of Unicode letters and digits, NFKC-normalised and
 * lower-cased. "Café-au-lait 2024" → ["café", "au", "lait", "2024"].
 */
const TOKEN_RE = /[\p{L}\p{N}]+/gu;

export function tokenize(text: string): string[] {
  return text.normalize('NFKC').toLowerCase().match(TOKEN_RE) ?? [];
}
