/**
 * Every function `tidaldb/streams` exports (the operators, startLeader, startFollower, ...) has an
 * `@example` in its doc comment, and every example compiles: this test takes each function's doc
 * comment from the file its export comes from, wraps each example in an async function after a
 * prelude (every public name imported from `tidaldb` and `tidaldb/streams`, a few rxjs names, and
 * the free variables the examples use: `db`, `replica`, `transport`, `segments$`, ...), and runs the
 * project's tsc over them (strict, as the package is compiled). typedoc (`npm run docs`) renders the
 * same comments into docs/api.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OUT = path.join(ROOT, '.tmp/api-examples');

interface Exported { readonly name: string; readonly isType: boolean; readonly file: string }

/** The names an index re-exports, with the file each comes from. */
function exportsOf(index: string): Exported[] {
  const text = fs.readFileSync(path.join(ROOT, index), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
  const found: Exported[] = [];
  for (const m of text.matchAll(/export\s+(type\s+)?\{([^}]*)\}\s*from\s*'([^']+)'/g)) {
    const file = path.join(path.dirname(path.join(ROOT, index)), m[3]!.replace(/\.js$/, '.ts'));
    for (const raw of m[2]!.split(',').map((n) => n.trim()).filter(Boolean)) {
      found.push({ name: raw.replace(/^type\s+/, ''), isType: Boolean(m[1]) || raw.startsWith('type '), file });
    }
  }
  return found;
}

/** The doc comment right above `export function name`, or undefined. */
function docOf(file: string, name: string): string | undefined {
  const text = fs.readFileSync(file, 'utf8');
  const at = text.search(new RegExp(`^export (async )?function ${name}\\b`, 'm'));
  if (at < 0) return undefined;
  const before = text.slice(0, at).trimEnd();
  if (!before.endsWith('*/')) return undefined;
  return before.slice(before.lastIndexOf('/**'));
}

/** The code of each `@example` in a doc comment (fenced or not), without the comment's stars. */
function examplesIn(doc: string): string[] {
  const lines = doc.split('\n').map((l) => l.replace(/^\s*\/?\*+\/?\s?/, ''));
  const examples: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.startsWith('@example')) continue;
    const body: string[] = [];
    for (i++; i < lines.length && !/^@\w/.test(lines[i]!); i++) body.push(lines[i]!);
    i--;
    const code = body.filter((l) => !l.startsWith('```')).join('\n').trim();
    if (code) examples.push(code);
  }
  return examples;
}

const publicNames = [...exportsOf('src/index.ts').map((e) => ({ ...e, from: 'tidaldb' })), ...exportsOf('streams/index.ts').map((e) => ({ ...e, from: 'tidaldb/streams' }))];
const functions = exportsOf('streams/index.ts').filter((e) => !e.isType && /^[a-z]/.test(e.name));

const PRELUDE = [
  ...['tidaldb', 'tidaldb/streams'].map((from) => `import { ${publicNames.filter((e) => e.from === from).map((e) => (e.isType ? `type ${e.name}` : e.name)).join(', ')} } from '${from}';`),
  "import { filter, from, map, Observable, Subject, type SchedulerLike } from 'rxjs';",
  'declare const db: TidalDb;',
  'declare const leader: WalShipper;',
  'declare const commits$: Observable<{ lastSeq: number }>;',
  'declare const replica: FollowerDb;',
  'declare const transport: Transport;',
  'declare const segments$: Observable<WalSegmentPayload>;',
  'declare const signals$: Observable<SignalInput>;',
  'declare const shipped$: Observable<ShipEvent>;',
  'declare const seqnoWrittenOnLeader: number;',
  'declare const scheduler: SchedulerLike;',
  'declare function log(message: string): void;',
  'export {};',
].join('\n');

describe('the API examples', () => {
  it('covers the exported functions', () => {
    expect(functions.map((f) => f.name)).toEqual(expect.arrayContaining(['sealTicks', 'sealedSegments', 'shipSegments', 'validateChecksum', 'idempotentReplay', 'replicationLag', 'ingestSignals', 'startLeader', 'startFollower']));
  });

  it('every exported function has an @example', () => {
    const missing = functions.filter((f) => examplesIn(docOf(f.file, f.name) ?? '').length === 0).map((f) => f.name);
    expect(missing).toEqual([]);
  });

  it('every example compiles', () => {
    fs.rmSync(OUT, { recursive: true, force: true });
    fs.mkdirSync(OUT, { recursive: true });
    const files: string[] = [];
    for (const f of functions) {
      examplesIn(docOf(f.file, f.name) ?? '').forEach((code, i) => {
        const file = path.join(OUT, `${f.name}${i}.ts`);
        fs.writeFileSync(file, `${PRELUDE}\n// ${path.relative(ROOT, f.file)}: ${f.name}\nexport async function example(): Promise<void> {\n${code}\n}\n`);
        files.push(file);
      });
    }
    fs.writeFileSync(path.join(OUT, 'tsconfig.json'), JSON.stringify({ extends: '../../tsconfig.json', compilerOptions: { noEmit: true }, include: files.map((f) => path.basename(f)) }));
    let output = '';
    try {
      execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(OUT, 'tsconfig.json')], { encoding: 'utf8' });
    } catch (err) {
      output = String((err as { stdout?: string }).stdout ?? err);
    }
    expect(output).toBe('');
  }, 120_000);
});
