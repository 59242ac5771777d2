/**
 * A strict XML parse of an SVG for tests: saxes is a conformant XML 1.0
 * parser, so a raw `&` or `<` in text, a control character, a duplicate
 * attribute or an unclosed tag is an error, not a guess.
 */
import { SaxesParser } from 'saxes';

export interface SvgElement {
  readonly name: string;
  readonly attributes: ReadonlyMap<string, string>;
  /** The text directly inside it (entities decoded). */
  text: string;
}

export interface ParsedSvg {
  readonly root: string | null;
  /** Every element, in document order. */
  readonly elements: readonly SvgElement[];
}

/** Parses `xml`, throwing on the first well-formedness error (with its line and column). */
export function parseSvg(xml: string): ParsedSvg {
  const parser = new SaxesParser({ xmlns: true });
  const elements: SvgElement[] = [];
  const open: SvgElement[] = [];
  let error: Error | null = null;
  parser.on('error', (e) => (error ??= e));
  parser.on('opentag', (tag) => {
    const attributes = new Map(Object.values(tag.attributes).map((a) => [a.name, a.value] as const));
    const element: SvgElement = { name: tag.name, attributes, text: '' };
    elements.push(element);
    if (!tag.isSelfClosing) open.push(element);
  });
  parser.on('closetag', (tag) => {
    if (!tag.isSelfClosing) open.pop();
  });
  parser.on('text', (text) => {
    const top = open[open.length - 1];
    if (top) top.text += text;
  });
  parser.write(xml).close();
  if (error) throw error;
  return { root: elements[0]?.name ?? null, elements };
}

/** The elements named `name` whose attribute `attr` is `value` (any value when omitted). */
export function elementsOf(svg: ParsedSvg, name: string, attr?: string, value?: string): SvgElement[] {
  return svg.elements.filter((e) => e.name === name && (attr === undefined || (value === undefined ? e.attributes.has(attr) : e.attributes.get(attr) === value)));
}
