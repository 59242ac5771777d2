/**
 * Text made safe for XML character data and attribute values: `&`, `<`,
 * `>`, `"` and `'` as entities; tab, LF and CR as character references (a
 * parser would turn them into spaces in an attribute value); and every code
 * point XML 1.0 forbids (other C0 controls, U+FFFE and U+FFFF, lone
 * surrogates) as U+FFFD, since no escape makes those well-formed.
 *
 * @example
 * xmlEscape('a<b & "c"\u0007\n'); // 'a&lt;b &amp; &quot;c&quot;\uFFFD&#10;'
 */
export function xmlEscape(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
    .replace(/[&<>"'\t\n\r]/g, (c) => ENTITIES.get(c)!);
}

const ENTITIES = new Map([
  ['&', '&amp;'], ['<', '&lt;'], ['>', '&gt;'], ['"', '&quot;'], ["'", '&#39;'], ['\t', '&#9;'], ['\n', '&#10;'], ['\r', '&#13;'],
]);
