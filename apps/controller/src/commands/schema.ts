/** `schema [--out FILE]`: prints (or writes) the JSON Schema of the desired-state file. */
import { writeFile } from 'node:fs/promises';
import { hubJsonSchema } from '@eks-auth-hub/core';
import { EXIT_OK } from '../cli/exit-codes.js';
import type { CliIo } from '../cli/io.js';
import { parse } from '../cli/parse-args.js';

/** The JSON Schema text exactly as committed in `config/hub.schema.json`. */
export function schemaText(): string {
  return `${JSON.stringify(hubJsonSchema(), null, 2)}\n`;
}

export async function schema(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parse(args, { out: { type: 'string', short: 'o' } });
  if (values.out === undefined) {
    io.stdout(schemaText().trimEnd());
  } else {
    await writeFile(values.out, schemaText(), 'utf8');
    io.stdout(`wrote ${values.out}`);
  }
  return EXIT_OK;
}
