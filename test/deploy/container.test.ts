/**
 * The container image, as far as a machine without a Docker engine can prove it: the Dockerfile is
 * read instruction by instruction and its steps are carried out here, in its order — the build stage's
 * COPYs into an empty build context (minus .dockerignore), its RUN (deploy/build-prod.sh: a frozen
 * install, the build, `pnpm deploy --prod`), the final stage's COPYs — then the ENTRYPOINT and CMD run
 * the service against the simulator, and the HEALTHCHECK command checks it. What is left to Docker:
 * the base image, USER and the file system's owner (checked as settings, not run).
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import {
  demoHubFile,
  demoState,
  type Exited,
  freePort,
  http,
  PAYMENTS,
  refOf,
  repoRoot as repo,
  runToEnd,
  sampleValue,
  scrape,
  waitFor,
} from '@eks-auth-hub/testing';
import { useSimulator } from '@eks-auth-hub/testing/vitest';
import { afterAll, describe, expect, it } from 'vitest';

interface Service {
  readonly child: ReturnType<typeof spawn>;
  readonly exited: Promise<Exited>;
  stderr(): string;
}

/** Starts `argv` in `cwd` (the image's WORKDIR) and collects its output. */
function startIn(cwd: string, argv: readonly string[], env: Record<string, string>): Service {
  const child = spawn(argv[0] ?? '', argv.slice(1), { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<Exited>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal, stdout: out, stderr: err })),
  );
  return { child, exited, stderr: () => err };
}

interface Instruction {
  readonly keyword: string;
  readonly args: string;
  readonly line: number;
}

/** The Dockerfile's instructions (comments dropped, continuation lines joined), split into stages. */
function readDockerfile(text: string): { readonly args: Record<string, string>; readonly stages: Instruction[][] } {
  const instructions: Instruction[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const first = i + 1;
    let line = lines[i] ?? '';
    if (/^\s*(#|$)/.test(line)) continue;
    while (line.endsWith('\\')) line = `${line.slice(0, -1).trimEnd()} ${(lines[++i] ?? '').trim()}`;
    const match = /^\s*([A-Z]+)\s+(.*)$/.exec(line);
    if (match === null) throw new Error(`Dockerfile:${first}: not an instruction: ${line}`);
    instructions.push({ keyword: match[1] ?? '', args: (match[2] ?? '').trim(), line: first });
  }
  const args: Record<string, string> = {};
  const stages: Instruction[][] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') stages.push([]);
    const stage = stages.at(-1);
    if (stage === undefined) {
      expect(instruction.keyword, `Dockerfile:${instruction.line}: only ARG comes before the first FROM`).toBe('ARG');
      const [name = '', value = ''] = instruction.args.split('=');
      args[name] = value;
    } else stage.push(instruction);
  }
  return { args, stages };
}

function only(stage: readonly Instruction[], keyword: string): Instruction {
  const found = stage.filter((i) => i.keyword === keyword);
  expect(found, `one ${keyword} in the stage`).toHaveLength(1);
  return found[0] as Instruction;
}

/** .dockerignore patterns of the form `**\/NAME` (NAME may hold `*`), as a test on a path's last segment. */
function dockerignore(text: string): (name: string) => boolean {
  const names = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((pattern) => {
      const match = /^\*\*\/([^/]+)$/.exec(pattern);
      if (match === null) throw new Error(`.dockerignore: this test reads only **/NAME patterns, not ${pattern}`);
      return new RegExp(`^${(match[1] ?? '').replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
    });
  return (name) => names.some((re) => re.test(name));
}

/** The files below `dir` (relative paths), not following symbolic links. */
function filesBelow(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)));
}

const dockerfile = readDockerfile(readFileSync(join(repo, 'deploy', 'Dockerfile'), 'utf8'));
const [buildStage = [], finalStage = []] = dockerfile.stages;
const work = mkdtempSync(join(tmpdir(), 'hub-image-'));
/** The image's file system, rooted here: /src (build context), /app, /config. */
const root = (path: string): string => join(work, 'fs', ...path.split('/').filter((s) => s !== ''));

// Two installs' worth of files: removing them takes a while on a busy machine.
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
}, 120_000);

describe('deploy/Dockerfile, read', () => {
  it('has a build stage and a final stage, both on the pinned Node 20 slim image', () => {
    expect(dockerfile.stages).toHaveLength(2);
    expect(dockerfile.args['NODE_IMAGE']).toMatch(/^node:20\.[0-9]+\.[0-9]+-bookworm-slim(@sha256:[0-9a-f]{64})?$/);
    expect(only(buildStage, 'FROM').args).toBe('${NODE_IMAGE} AS build');
    expect(only(finalStage, 'FROM').args).toBe('${NODE_IMAGE}');
  });

  it('installs the pnpm the project pins', () => {
    const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { packageManager: string };
    expect(buildStage.filter((i) => i.keyword === 'RUN')[0]?.args).toBe(`npm install --global ${pkg.packageManager}`);
  });

  it('runs as the unprivileged node user, exposes the metrics port, checks /healthz with node, and runs `eks-auth-hub run`', () => {
    expect(only(finalStage, 'USER').args).toBe('node');
    expect(only(finalStage, 'EXPOSE').args).toBe('9090');
    const healthcheck = only(finalStage, 'HEALTHCHECK').args;
    expect(healthcheck).toMatch(/^--interval=\S+ --timeout=\S+ --start-period=\S+ --retries=\d+ CMD \[/);
    const command = JSON.parse(healthcheck.slice(healthcheck.indexOf('CMD ') + 4)) as string[];
    expect(command.slice(0, 2)).toEqual(['node', '-e']);
    expect(command[2]).toContain("'http://127.0.0.1:9090/healthz'");
    expect(JSON.parse(only(finalStage, 'ENTRYPOINT').args)).toEqual(['node', '/app/dist/main.js', 'run']);
    expect(JSON.parse(only(finalStage, 'CMD').args)).toEqual(['--config', '/config/hub.yaml', '--listen', '0.0.0.0:9090']);
  });

  it('the ECS task definition checks health with the same command', () => {
    const template = readFileSync(join(repo, 'deploy', 'cloudformation', 'hub-ecs.yaml'), 'utf8');
    const healthcheck = only(finalStage, 'HEALTHCHECK').args;
    const [, , script] = JSON.parse(healthcheck.slice(healthcheck.indexOf('CMD ') + 4)) as string[];
    expect(template).toContain(`- "${script ?? 'none'}"`);
  });

  it('the ECS task definition caps the heap from its HeapSizeMb parameter, half of its default Memory', () => {
    const template = readFileSync(join(repo, 'deploy', 'cloudformation', 'hub-ecs.yaml'), 'utf8');
    expect(template).toContain('- Name: NODE_OPTIONS\n              Value: !Sub "--max-old-space-size=${HeapSizeMb}"');
    const defaultOf = (parameter: string): number =>
      Number(new RegExp(`\n  ${parameter}:\n(?:    .*\n)*?    Default: (\\d+)\n`).exec(template)?.[1]);
    expect(defaultOf('HeapSizeMb')).toBe(defaultOf('Memory') / 2);
  });
});

describe('deploy/Dockerfile, its steps carried out', { timeout: 240_000 }, () => {
  const h = useSimulator();
  let service: Service | undefined;
  let url = '';
  /** The final stage's ENV: the service runs with it. */
  const env: Record<string, string> = Object.fromEntries(
    only(finalStage, 'ENV')
      .args.split(/\s+/)
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  );

  afterAll(async () => {
    if (service !== undefined && service.child.exitCode === null && service.child.signalCode === null) {
      service.child.kill('SIGKILL');
      await service.exited;
    }
  });

  it('no node_modules above the image folder could lend the service a module', () => {
    for (let dir = work; dir !== dirname(dir); dir = dirname(dir))
      expect(existsSync(join(dirname(dir), 'node_modules')), dirname(dir)).toBe(false);
  });

  it('build stage: the COPYs make the build context, and its RUN (deploy/build-prod.sh) makes the production install', () => {
    const ignored = dockerignore(readFileSync(join(repo, '.dockerignore'), 'utf8'));
    const workdir = only(buildStage, 'WORKDIR').args;
    for (const copy of buildStage.filter((i) => i.keyword === 'COPY')) {
      const parts = copy.args.split(/\s+/);
      const destination = parts.pop() ?? '';
      const target = destination.startsWith('/') ? root(destination) : join(root(workdir), destination);
      for (const source of parts) {
        const from = join(repo, source);
        const to = destination.endsWith('/') ? join(target, source.split('/').at(-1) ?? source) : target;
        mkdirSync(dirname(to), { recursive: true });
        cpSync(from, to, {
          recursive: true,
          filter: (path) =>
            !relative(repo, path)
              .split(sep)
              .some((segment) => ignored(segment)),
        });
      }
    }
    expect(existsSync(join(root(workdir), 'apps', 'controller', 'node_modules'))).toBe(false);
    // The controller builds without the simulator: the demo that needs it is apps/demo, outside the context.
    expect(existsSync(join(root(workdir), 'packages', 'sim'))).toBe(false);
    const runs = buildStage.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    expect(runs).toHaveLength(2);
    expect(runs[1]).toBe('deploy/build-prod.sh /app');
    const built = spawnSync('bash', [join(root(workdir), 'deploy', 'build-prod.sh'), root('/app')], {
      cwd: root(workdir),
      encoding: 'utf8',
      env: { ...process.env, CI: 'true' },
      timeout: 200_000,
    });
    expect(built.status, `${built.stdout}\n${built.stderr}`).toBe(0);
  });

  it('the production install holds the compiled controller and production dependencies only', () => {
    const app = root('/app');
    const files = filesBelow(join(app, 'dist'));
    expect(files).toContain('main.js');
    expect(files).toContain('run.js');
    expect(files.filter((f) => !f.endsWith('.js'))).toEqual([]);
    expect(files).not.toContain('demo.js'); // the demo needs the simulator
    expect(existsSync(join(app, 'src'))).toBe(false);
    expect(existsSync(join(app, 'test'))).toBe(false);
    expect(readdirSync(join(app, 'node_modules', '@eks-auth-hub')).sort()).toEqual(['aws', 'core']);
    const installed = readdirSync(join(app, 'node_modules', '.pnpm'));
    const devOnly = /^(@eks-auth-hub\+sim|selfsigned|vitest|vite|typescript|tsx|esbuild|@esbuild|fast-check|jsonata|fflate)@/;
    expect(installed.filter((name) => devOnly.test(name))).toEqual([]);
    // Code the unprivileged user must read: every file of dist/ and of the installed packages.
    const unreadable = [...files.map((f) => join(app, 'dist', f))].filter((f) => (statSync(f).mode & 0o004) === 0);
    expect(unreadable).toEqual([]);
  });

  it('final stage: its COPYs; then ENTRYPOINT and CMD run the service against the simulator', async () => {
    const copies = finalStage.filter((i) => i.keyword === 'COPY').map((i) => i.args);
    expect(copies).toEqual(['--from=build /app /app', '${HUB_CONFIG} /config/hub.yaml']);
    // docker build --build-arg HUB_CONFIG=config/sim/demo-hub.yaml
    mkdirSync(root('/config'), { recursive: true });
    cpSync(demoHubFile, root('/config/hub.yaml'));
    // Production mode, and a heap cap for a 512 MiB container (V8 would size it from the host's memory).
    expect(env).toEqual({ NODE_ENV: 'production', NODE_OPTIONS: '--max-old-space-size=256' });
    const port = await freePort();
    const argv = [
      ...(JSON.parse(only(finalStage, 'ENTRYPOINT').args) as string[]),
      ...(JSON.parse(only(finalStage, 'CMD').args) as string[]),
    ].map((arg) => (arg.startsWith('/') ? root(arg) : arg === '0.0.0.0:9090' ? `127.0.0.1:${port}` : arg));
    expect(argv[0]).toBe('node');
    service = startIn(root(only(finalStage, 'WORKDIR').args), [process.execPath, ...argv.slice(1)], { ...env, NODE_PATH: '' });
    url = `http://127.0.0.1:${port}`;
    await waitFor('the first pass (/readyz 200)', async () => (await http(`${url}/readyz`)).status === 200, 60_000, 200);
    const { exposition } = await scrape(url);
    expect(sampleValue(exposition, 'eks_auth_hub_passes_total', { result: 'success' })).toBe(1);
    expect(h.sim.control.readAwsAuth(refOf(demoState(), 'analytics'))).not.toBeNull();
    expect(service.stderr()).toBe('');
    expect(h.sim.control.principals()[`arn:aws:iam::${PAYMENTS}:role/eks-auth-hub-spoke`]?.['iam:ListRoles']).toBe(1);
  });

  it('HEALTHCHECK: healthy while it runs; SIGTERM stops it with exit code 0; then unhealthy', async () => {
    const healthcheck = only(finalStage, 'HEALTHCHECK').args;
    const [command = '', flag = '', script = ''] = JSON.parse(healthcheck.slice(healthcheck.indexOf('CMD ') + 4)) as string[];
    const probe = script.replace('127.0.0.1:9090', url.replace('http://', ''));
    expect(probe).not.toBe(script);
    expect(command).toBe('node');
    expect((await runToEnd(process.execPath, [flag, probe], env, 15_000)).code).toBe(0);
    service?.child.kill('SIGTERM');
    const exited = await service?.exited;
    expect(exited?.code).toBe(0);
    expect((await runToEnd(process.execPath, [flag, probe], env, 15_000)).code).toBe(1);
  });
});
