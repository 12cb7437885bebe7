/** One command's options, parsed strictly (no positionals); a parse error is a usage error. */
import { parseArgs } from 'node:util';
import { UsageError } from './usage-error.js';

type Options = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;
/** What parseArgs answers for these options, strict and without positionals. */
type Parsed<T extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: false }>>;

export function parse<T extends Options>(args: readonly string[], options: T): Parsed<T> {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: false });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}
