/** Every metric the hub exports (the service's and the file watch's) has its row in docs/operations.md. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ConfigWatcher } from '../src/config-watch.js';
import { createLogger } from '../src/logging.js';
import { HubMetrics } from '../src/metrics.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const PREFIX = 'eks_auth_hub_';

/** The metric names of the table under "## Metrics" in docs/operations.md, prefix left out as the table writes them. */
function documentedMetrics(): Set<string> {
  const operations = readFileSync(join(repo, 'docs', 'operations.md'), 'utf8');
  const section = operations.slice(operations.indexOf('\n## Metrics\n'));
  const table = section.slice(0, section.indexOf('\n## ', 1));
  const names = new Set<string>();
  for (const row of table.split('\n').filter((line) => line.startsWith('| `'))) {
    const first = row.split('|')[1] ?? '';
    for (const m of first.matchAll(/`([a-z_*]+)`/g)) names.add(m[1] ?? '');
  }
  return names;
}

describe('docs/operations.md', () => {
  it('documents every metric family the hub exports, under the name it is exported with', async () => {
    const registry = new Registry();
    const metrics = new HubMetrics(registry, { version: '0.0.0-test' }, { processMetrics: false });
    metrics.knowClusters([{ id: '111122223333/eu-west-1/c', name: 'c', account: '111122223333', region: 'eu-west-1' }]);
    await ConfigWatcher.open(join(repo, 'config', 'hub.yaml'), createLogger({ level: 'silent' }), registry);
    let text = '';
    for await (const chunk of metrics.exposition()) text += chunk;
    const exported = [...new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1] ?? ''))];
    // the per-cluster gauges (written at scrape time) are among them, and the file watch's
    expect(exported).toContain(`${PREFIX}cluster_last_outcome`);
    expect(exported).toContain(`${PREFIX}config_info`);
    const documented = documentedMetrics();
    const missing = exported.filter((name) => !name.startsWith(PREFIX) || !documented.has(name.slice(PREFIX.length)));
    expect(missing).toEqual([]);
  });
});
