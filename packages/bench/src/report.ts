/** The benchmark's table for people: the hub's passes, the per-cluster model, the floor, the checks. */
import { serviceCalls } from './figures.js';
import { type HubPass, passesByKind } from './pass-figures.js';

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ')).join('\n');
}

const fmt = (n: number | null | undefined, digits = 2): string => (n === null || n === undefined ? '-' : n.toFixed(digits));

/** Prints the report through `say` (nothing with `--json`). */
export function printReport(
  say: (line: string) => void,
  hubPasses: readonly HubPass[],
  withModel: boolean,
  checks: Readonly<Record<string, boolean>>,
  loadAfter: readonly number[],
): void {
  const byKind = passesByKind(hubPasses);
  say('');
  say(
    table([
      [
        'hub pass',
        'wall ms',
        'bound ms',
        '÷bound',
        'calls',
        'minimum',
        '÷min',
        '+safety',
        '÷(min+safety)',
        'IAM',
        'writes',
        'history',
        'CPU ms',
        'peak RSS MB',
        'heap MB',
      ],
      ...hubPasses.map((p) => [
        p.pass,
        String(p.wallMs),
        String(Math.round(p.bound.boundMs)),
        fmt(p.ratioToBound),
        String(p.calls),
        String(p.minimum.total),
        fmt(p.ratioToMinimum, 3),
        String(p.minimum.safetyTotal),
        fmt(p.ratioToMinimumWithSafety, 3),
        String(serviceCalls(p.aws, 'iam')),
        String(p.writes.awsAuth),
        String(p.writes.history),
        String(p.cpuMs),
        fmt(p.peakRssMb, 1),
        fmt(p.heapUsedMb, 1),
      ]),
    ]),
  );
  say('');
  for (const p of hubPasses) {
    say(`${p.pass}: AWS ${JSON.stringify(p.aws)}; Kubernetes ${JSON.stringify(p.kube)}; by purpose ${JSON.stringify(p.kubeByPurpose)}`);
    say(
      `${' '.repeat(p.pass.length)}  minimum ${JSON.stringify(p.minimum.calls)} + safety ${JSON.stringify(p.minimum.safety)}; critical path ${p.minimum.criticalPath} calls${Object.keys(p.errors).length > 0 ? `; errors ${JSON.stringify(p.errors)}` : ''}`,
    );
  }
  if (withModel) {
    say('');
    say(
      table([
        ['per-cluster model', 'wall ms', 'calls', 'IAM', 'writes', 'hub IAM ÷ model', 'hub writes ÷ model'],
        ...hubPasses.map((p) => [
          p.pass,
          String(p.perCluster?.wallMs ?? '-'),
          String(p.perCluster?.calls ?? '-'),
          String(p.perCluster?.iamCalls ?? '-'),
          String(p.perCluster?.writes ?? '-'),
          fmt(p.perCluster?.iamRatio, 4),
          fmt(p.perCluster?.writesRatio, 4),
        ]),
      ]),
    );
  }
  const floor = byKind.cold.floor;
  if (floor !== undefined) {
    say('');
    say(
      `libraries' floor, cold pass (the same ${floor.calls} calls with the same SDK clients and client-node, nothing else): ${floor.wallMs} ms = ${fmt(floor.ratioToBound)} × bound, CPU ${floor.cpuMs} ms${Object.keys(floor.errors).length > 0 ? `, errors ${JSON.stringify(floor.errors)}` : ''}`,
    );
    say(`hub ÷ floor: wall ${fmt(floor.hubWallRatio)}, CPU ${fmt(floor.hubCpuRatio)}`);
  }
  say('');
  say(
    `checks: ${Object.entries(checks)
      .map(([name, ok]) => `${name} ${ok ? 'yes' : 'NO'}`)
      .join(', ')}`,
  );
  say(`load after: ${loadAfter.join(' ')}`);
}
