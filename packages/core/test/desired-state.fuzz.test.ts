/**
 * Generated input for the desired-state loader: random bytes and text, mutations of the example
 * file (text edits, swapped types, deleted, duplicated and misspelt keys, injected control and
 * look-alike characters, anchors and aliases) and deep nesting. The loader may refuse anything but
 * never throws: it returns the state or a ConfigError whose every problem is located inside the
 * file and shown without raw control characters, and Node never prints a warning. Seeded.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, type MockInstance, vi } from 'vitest';
import { Document, isMap, isScalar, isSeq, type Node, parse, parseDocument, stringify } from 'yaml';
import { loadDesiredState } from '../src/desired-state.js';
import { ConfigError, MAX_LISTED_ISSUES } from '../src/errors.js';
import { INVISIBLE_CHAR } from '../src/printable.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const EXAMPLE = readFileSync(join(repo, 'config', 'hub.yaml'), 'utf8');
const EXAMPLE_DATA = parse(EXAMPLE) as unknown;
const SEED = 20_260_611;
const FILE = 'fuzz.yaml';

let warnings: MockInstance<typeof process.emitWarning>;
beforeAll(() => {
  warnings = vi.spyOn(process, 'emitWarning');
});
afterAll(() => {
  expect(warnings).not.toHaveBeenCalled();
  vi.restoreAllMocks();
});

/** What must hold for any input: accepted, or refused with located, printable problems. */
function checkLoad(source: string | Uint8Array): void {
  const text = typeof source === 'string' ? source : new TextDecoder().decode(source);
  const lines = text.split('\n').length;
  const result = loadDesiredState(source, FILE);
  if (result.ok) {
    expect(result.state.clusters.length).toBeGreaterThan(0);
    return;
  }
  expect(result.error).toBeInstanceOf(ConfigError);
  expect(result.error.issues.length).toBeGreaterThan(0);
  expect(result.error.message.split('\n').length).toBeLessThanOrEqual(MAX_LISTED_ISSUES + 2);
  // One expect for all issues: the checks run thousands of times.
  const wrong = result.error.issues.filter(
    (issue) =>
      issue.location.file !== FILE ||
      issue.location.line < 1 ||
      issue.location.line > lines + 1 ||
      issue.location.column < 1 ||
      INVISIBLE_CHAR.test(issue.path) ||
      INVISIBLE_CHAR.test(issue.message) ||
      /Maximum call stack|is not a function|Cannot read prop|undefined is not|\[object Object\]/.test(issue.message),
  );
  expect(wrong).toEqual([]);
}

/** Characters that hostile files use: controls, invisible and bidirectional ones, look-alikes, YAML syntax. */
const nastyChar = fc.constantFrom(
  '\u0000',
  '\u0001',
  '\u0007',
  '\t',
  '\n',
  '\r',
  '\u001b',
  '\u007f',
  '\u0085',
  '\u009b',
  '\u00a0',
  '\u00ad',
  '\u200b',
  '\u200d',
  '\u200e',
  '\u202e',
  '\u2066',
  '\u2028',
  '\u2029',
  '\ufeff',
  '\ufffd',
  '\ud800',
  '\udfff',
  '\u0430',
  '\u0456',
  '\u03bf',
  '\uff11',
  '{{',
  '}}',
  '{{SessionName}}',
  '$ACCOUNTID',
  ': ',
  '- ',
  '#',
  '&a ',
  '*a',
  '!!binary ',
  '!!timestamp ',
  '? ',
  '|',
  '>',
  '"',
  "'",
  '[',
  ']',
  '{',
  '}',
  ',',
  '%YAML 1.1\n',
  '---\n',
  '...\n',
  ' ',
);

/** Text edits of the example: insert, delete, duplicate or reindent at a random place. */
const textMutation: fc.Arbitrary<(text: string) => string> = fc.oneof(
  fc.tuple(fc.nat(), fc.array(nastyChar, { minLength: 1, maxLength: 4 })).map(([at, chars]) => (text: string) => {
    const i = at % (text.length + 1);
    return `${text.slice(0, i)}${chars.join('')}${text.slice(i)}`;
  }),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 40 })).map(([at, length]) => (text: string) => {
    const i = at % (text.length + 1);
    return `${text.slice(0, i)}${text.slice(i + length)}`;
  }),
  fc.tuple(fc.nat(), fc.nat()).map(([from, to]) => (text: string) => {
    const lines = text.split('\n');
    lines.splice(to % (lines.length + 1), 0, lines[from % lines.length] ?? '');
    return lines.join('\n');
  }),
  fc.tuple(fc.nat(), fc.integer({ min: -3, max: 3 })).map(([at, shift]) => (text: string) => {
    const lines = text.split('\n');
    const i = at % lines.length;
    const line = lines[i] ?? '';
    lines[i] = shift >= 0 ? `${' '.repeat(shift)}${line}` : line.slice(Math.min(-shift, line.length - line.trimStart().length));
    return lines.join('\n');
  }),
);

/** A value of another type than the one it replaces. */
const strangeValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1.5, 111122223333, Number.NaN, Number.POSITIVE_INFINITY, '', 'yes', '0x1F', '{{SessionName}}'),
  fc.array(nastyChar, { minLength: 1, maxLength: 5 }).map((chars) => `x${chars.join('')}y`),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constant([]),
  fc.constant({}),
  fc.constant([['nested']]),
  fc.constant({ rolearn: 'arn:aws:iam::111122223333:role/x', permissionset: 'Admin' }),
);

type Edit = { readonly kind: 'set' | 'delete' | 'rename' | 'anchor'; readonly pick: number; readonly value: unknown; readonly key: string };

const edit: fc.Arbitrary<Edit> = fc.record({
  kind: fc.constantFrom('set', 'delete', 'rename', 'anchor'),
  pick: fc.nat(),
  value: strangeValue,
  key: fc.constantFrom(
    'permisionset',
    'roleArn',
    'cluster',
    'mapRole',
    'groups',
    'name',
    '<<',
    '__proto__',
    'constructor',
    'a\u0000b',
    'r\u200begion',
  ),
});

/** Every collection of the document with a place in it, in document order. */
function places(node: unknown, out: { parent: Node; index: number }[] = []): { parent: Node; index: number }[] {
  if (isMap(node) || isSeq(node)) {
    node.items.forEach((_item, index) => {
      out.push({ parent: node, index });
      places(isMap(node) ? node.items[index]?.value : node.items[index], out);
    });
  }
  return out;
}

/**
 * Applies structural edits to the example through the YAML document model and renders it. An edit
 * the model cannot render (an alias whose anchor a later edit replaced) is dropped.
 */
function structurallyEdited(edits: readonly Edit[]): string {
  let doc: Document = new Document(EXAMPLE_DATA);
  let text = doc.toString();
  let anchors = 0;
  for (const e of edits) {
    applyEdit(doc, e, `a${anchors++}`);
    try {
      text = doc.toString();
    } catch {
      doc = parseDocument(text);
    }
  }
  return text;
}

function applyEdit(doc: Document, e: Edit, anchor: string): void {
  const all = places(doc.contents);
  const place = all[e.pick % Math.max(all.length, 1)];
  if (place === undefined) return;
  const { parent, index } = place;
  if (!isMap(parent) && !isSeq(parent)) return;
  const item = parent.items[index];
  if (item === undefined) return;
  if (e.kind === 'delete') parent.items.splice(index, 1);
  else if (e.kind === 'set') {
    const value = doc.createNode(e.value);
    if (isMap(parent)) (item as { value: unknown }).value = value;
    else parent.items[index] = value;
  } else if (e.kind === 'rename' && isMap(parent)) {
    const pair = parent.items[index];
    if (pair !== undefined) pair.key = doc.createNode(e.key);
  } else if (e.kind === 'anchor') {
    // Anchor this node and alias it somewhere else: after it (a repeat), before it (no anchor yet)
    // or inside it (a cycle). Each must load or be refused cleanly.
    const target = isMap(parent) ? parent.items[index]?.value : parent.items[index];
    if (target !== undefined && target !== null && (isMap(target) || isSeq(target) || isScalar(target))) {
      target.anchor = anchor;
      const other = all[(e.pick * 7 + 3) % all.length];
      if (other !== undefined && isMap(other.parent) && other.parent !== parent) {
        const pair = other.parent.items[other.index];
        if (pair !== undefined) pair.value = doc.createAlias(target as Node & { anchor: string });
      }
    }
  }
}

const nesting = fc.tuple(
  fc.array(fc.constantFrom('[', '{a: ', '- ', '? ', '{', '['), { minLength: 1, maxLength: 4 }),
  fc.integer({ min: 1, max: 1000 }),
  fc.boolean(),
);

describe('loadDesiredState under generated input (seeded)', { timeout: 60_000 }, () => {
  it('the example file itself loads (the mutations start from a valid file)', () => {
    expect(loadDesiredState(EXAMPLE, FILE).ok).toBe(true);
    expect(loadDesiredState(structurallyEdited([]), FILE).ok).toBe(true);
  });

  it('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => checkLoad(bytes)),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('random text of any code points, and the example after a prefix of it', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), fc.boolean(), (text, prefix) =>
        checkLoad(prefix ? `${text}\n${EXAMPLE}` : text),
      ),
      { seed: SEED, numRuns: 150 },
    );
  });

  it('text edits of the example file', () => {
    fc.assert(
      fc.property(fc.array(textMutation, { minLength: 1, maxLength: 4 }), (mutations) =>
        checkLoad(mutations.reduce((text, m) => m(text), EXAMPLE)),
      ),
      { seed: SEED, numRuns: 150 },
    );
  });

  it('structural edits of the example: swapped types, deleted and misspelt keys, anchors and aliases', () => {
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 4 }), (edits) => checkLoad(structurallyEdited(edits))),
      { seed: SEED, numRuns: 120 },
    );
  });

  it('the example rendered as JSON with injected characters (JSON is YAML)', () => {
    fc.assert(
      fc.property(textMutation, (mutation) => checkLoad(mutation(JSON.stringify(EXAMPLE_DATA, null, 1)))),
      { seed: SEED, numRuns: 100 },
    );
  });

  it('deep and mixed nesting, closed or not, anywhere in the example', () => {
    fc.assert(
      fc.property(nesting, fc.nat(), ([openers, depth, close], at) => {
        const open = Array.from({ length: depth }, (_, i) => openers[i % openers.length]).join('');
        const closers = close
          ? [...open]
              .reverse()
              .map((c) => (c === '[' ? ']' : c === '{' ? '}' : ''))
              .join('')
          : '';
        const lines = EXAMPLE.split('\n');
        const i = at % lines.length;
        lines[i] = `${lines[i] ?? ''} ${open}x${closers}`;
        checkLoad(lines.join('\n'));
        checkLoad(`clusters: ${open}x${closers}\n`);
      }),
      { seed: SEED, numRuns: 60 },
    );
  });

  it('aliases chained and nested from generated shapes', () => {
    const shape = fc.array(fc.tuple(fc.integer({ min: 1, max: 12 }), fc.boolean()), { minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(shape, ([first, ...rest]) => {
        const lines = [`a0: &a0 [${Array.from({ length: first?.[0] ?? 1 }, () => 'x').join(', ')}]`];
        rest.forEach(([width, mapping], i) => {
          const refs = Array.from({ length: width }, (_, j) => (mapping ? `k${j}: *a${i}` : `*a${i}`)).join(', ');
          lines.push(`a${i + 1}: &a${i + 1} ${mapping ? `{${refs}}` : `[${refs}]`}`);
        });
        const text = `${stringify({ apiVersion: 'eks-auth-hub/v1', hub: { roleName: 'r' } })}${lines.join('\n')}\nclusters: *a${rest.length}\n`;
        checkLoad(text);
      }),
      { seed: SEED, numRuns: 100 },
    );
  });
});
