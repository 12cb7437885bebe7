/**
 * Where an unclosed quoted string or flow collection opens. The YAML library notices one only where
 * the text ends (or where a less indented line ends the collection), often many lines below the
 * quote or bracket the author forgot to close; the loader reports it where it opens instead.
 */
import { CST, Lexer, type YAMLError } from 'yaml';

export type Opening = '"' | "'" | '[' | '{';

/** A quote or bracket that is never closed, at its offset in the text. */
export interface Unclosed {
  readonly offset: number;
  readonly opening: Opening;
}

/** Whether a quoted scalar's source ends with the quote that closes it (not an escaped or doubled one). */
function quoteClosed(source: string): boolean {
  const quote = source[0];
  for (let i = 1; i < source.length; i++) {
    const c = source[i];
    if (quote === '"' && c === '\\') i += 1;
    else if (c === quote) {
      if (quote === "'" && source[i + 1] === "'") i += 1;
      else return i === source.length - 1;
    }
  }
  return false;
}

/**
 * Every quote and bracket of the text that opens and is never closed, in file order. A flow
 * collection ended by a line indented too little (the lexer's flow-error-end) counts as unclosed
 * too: its closing bracket, if any, was read as part of a plain value.
 */
export function unclosedOpenings(text: string): Unclosed[] {
  const found: Unclosed[] = [];
  const open: Unclosed[] = [];
  const closeAll = (): void => {
    found.push(...open);
    open.length = 0;
  };
  let scalarNext = false;
  let offset = 0;
  for (const source of new Lexer().lex(text)) {
    // The lexer marks a document and each plain scalar with a control character that is not in the text.
    const type: string = scalarNext ? 'scalar-source' : (CST.tokenType(source) ?? 'scalar-source');
    scalarNext = type === 'scalar';
    if (type === 'flow-error-end') closeAll();
    if (type === 'doc-mode' || type === 'scalar' || type === 'flow-error-end') continue;
    if (type === 'flow-seq-start' || type === 'flow-map-start') open.push({ offset, opening: type === 'flow-seq-start' ? '[' : '{' });
    else if (type === 'flow-seq-end' || type === 'flow-map-end') {
      // A bracket of the other kind closes nothing: the collection stays unclosed, as the library says.
      if (open.at(-1)?.opening === (type === 'flow-seq-end' ? '[' : '{')) open.pop();
    } else if (type === 'doc-start' || type === 'doc-end') closeAll();
    else if ((type === 'double-quoted-scalar' || type === 'single-quoted-scalar') && !quoteClosed(source)) {
      found.push({ offset, opening: type === 'double-quoted-scalar' ? '"' : "'" });
    }
    offset += source.length;
  }
  closeAll();
  return found.sort((a, b) => a.offset - b.offset);
}

const CLOSING: Readonly<Record<Opening, string>> = { '"': '"', "'": "'", '[': ']', '{': '}' };

/** Which opening a library error is about: an unclosed quote, or a flow collection without its end. */
function openingOf(problem: YAMLError): Opening | undefined {
  const quote = /^Missing closing (["'])quote/.exec(problem.message)?.[1];
  if (problem.code === 'MISSING_CHAR' && (quote === '"' || quote === "'")) return quote;
  const flow = /^Flow (sequence|map) (in block collection )?must (be sufficiently indented and )?end with a [\]}]/.exec(problem.message);
  if (flow === null) return undefined;
  return flow[1] === 'sequence' ? '[' : '{';
}

/** What to say where an unclosed quote or bracket opens; `indented` when the library also asked for more indentation. */
function unclosedMessage(opening: Opening, indented: boolean): string {
  const closing = CLOSING[opening];
  if (opening === '"' || opening === "'") {
    return `this ${opening} opens a quoted string that is never closed: its closing ${closing} is missing (the rest of the file was read into the string)`;
  }
  const what = opening === '[' ? 'list' : 'mapping';
  const indent = indented ? ', and every line of it must be indented more than the key it belongs to' : '';
  return `this ${opening} opens a ${what} that is not closed: it must end with a ${closing}${indent}`;
}

/**
 * For each library error about an unclosed quote or bracket, where that quote or bracket opens and
 * what to say there: the n-th such error of a kind goes to the n-th unclosed opening of that kind.
 * Errors without a matching opening before them are left out (they stay where the library put them).
 */
export function unclosedProblems(
  text: string,
  problems: readonly YAMLError[],
): Map<YAMLError, { readonly offset: number; readonly message: string }> {
  const out = new Map<YAMLError, { readonly offset: number; readonly message: string }>();
  if (!problems.some((problem) => openingOf(problem) !== undefined)) return out;
  const queues: Record<Opening, Unclosed[]> = { '"': [], "'": [], '[': [], '{': [] };
  for (const found of unclosedOpenings(text)) queues[found.opening].push(found);
  const taken: Record<Opening, number> = { '"': 0, "'": 0, '[': 0, '{': 0 };
  for (const problem of problems) {
    const opening = openingOf(problem);
    if (opening === undefined) continue;
    const found = queues[opening][taken[opening]];
    if (found === undefined || found.offset > problem.pos[0]) continue;
    taken[opening] += 1;
    out.set(problem, { offset: found.offset, message: unclosedMessage(opening, problem.message.includes('sufficiently indented')) });
  }
  return out;
}
