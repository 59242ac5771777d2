/**
 * Well-formed Unicode: no lone surrogate. UTF-8 cannot hold one, so a
 * string with one is stored as U+FFFD and reads back different
 * (`String.prototype.isWellFormed` is not in Node 20).
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when `s` holds no lone surrogate, so it survives UTF-8 unchanged. */
export function isWellFormed(s: string): boolean {
  return !LONE_SURROGATE.test(s);
}
