/**
 * `pnpm build:lambda [--config FILE] [--out-dir DIR]`: the Lambda function as one ESM file and a zip.
 *
 *   DIR/lambda/index.mjs          the handler (index.handler) with every dependency bundled in
 *   DIR/lambda/hub.yaml           the desired-state file packed with it
 *   DIR/lambda/meta.json          esbuild's metafile: which modules went in
 *   DIR/eks-auth-hub-lambda.zip   index.mjs + hub.yaml (the desired-state file), for hub-lambda.yaml
 *
 * The bundle is built from the controller's TypeScript sources (the workspace packages through their
 * "source" export condition). The zip is byte-for-byte the same for the same inputs.
 */
import { copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build, type Metafile } from 'esbuild';
import { zipSync } from 'fflate';

export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface LambdaBuildOptions {
  /** The desired-state file packed as hub.yaml (default config/hub.yaml). */
  readonly config?: string;
  /** Where the bundle and the zip go (default dist/ at the repository root). */
  readonly outDir?: string;
}

export interface LambdaBuild {
  readonly bundle: string;
  readonly zip: string;
  readonly metafile: string;
  readonly bundleBytes: number;
  readonly zipBytes: number;
  /** Input files of the bundle, relative to the repository. */
  readonly inputs: readonly string[];
}

// Lambda's zip entries get this time: the same inputs always give the same zip.
const ZIP_TIME = new Date('2020-01-01T00:00:00Z');

// CommonJS dependencies bundled into an ES module still call require() for Node's built-ins.
const BANNER = "import { createRequire as __hubCreateRequire } from 'node:module'; const require = __hubCreateRequire(import.meta.url);";

export async function buildLambda(options: LambdaBuildOptions = {}): Promise<LambdaBuild> {
  const outDir = resolve(options.outDir ?? join(repo, 'dist'));
  const config = resolve(options.config ?? join(repo, 'config', 'hub.yaml'));
  const bundleDir = join(outDir, 'lambda');
  mkdirSync(bundleDir, { recursive: true });
  const bundle = join(bundleDir, 'index.mjs');
  const result = await build({
    entryPoints: [join(repo, 'apps', 'controller', 'src', 'lambda.ts')],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    conditions: ['source'],
    mainFields: ['module', 'main'],
    banner: { js: BANNER },
    minify: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    absWorkingDir: repo,
  });
  const metafile = join(bundleDir, 'meta.json');
  writeFileSync(metafile, JSON.stringify(result.metafile, null, 1));
  // dist/lambda/ holds what the zip holds (for local tools), plus the metafile.
  copyFileSync(config, join(bundleDir, 'hub.yaml'));
  const code = readFileSync(bundle);
  const zip = join(outDir, 'eks-auth-hub-lambda.zip');
  writeFileSync(
    zip,
    zipSync(
      {
        'index.mjs': [code, { level: 9, mtime: ZIP_TIME }],
        'hub.yaml': [readFileSync(config), { level: 9, mtime: ZIP_TIME }],
      },
      { mtime: ZIP_TIME },
    ),
  );
  return {
    bundle,
    zip,
    metafile,
    bundleBytes: statSync(bundle).size,
    zipBytes: statSync(zip).size,
    inputs: inputsOf(result.metafile),
  };
}

function inputsOf(meta: Metafile): string[] {
  return Object.keys(meta.inputs).map((path) => relative(repo, resolve(repo, path)));
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { config: { type: 'string' }, 'out-dir': { type: 'string' } }, strict: true });
  const built = await buildLambda({
    ...(values.config === undefined ? {} : { config: values.config }),
    ...(values['out-dir'] === undefined ? {} : { outDir: values['out-dir'] }),
  });
  const mib = (n: number): string => `${(n / 1024 / 1024).toFixed(2)} MiB`;
  process.stdout.write(
    [
      `bundle ${relative(process.cwd(), built.bundle)}  ${mib(built.bundleBytes)} (${built.inputs.length} modules)`,
      `zip    ${relative(process.cwd(), built.zip)}  ${mib(built.zipBytes)} (index.mjs + hub.yaml; handler index.handler)`,
      '',
    ].join('\n'),
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await main();
}
