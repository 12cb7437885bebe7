/**
 * Transport safety on the wire, against one demo world, in order:
 *  - a cluster whose serving certificate does not match the CA DescribeCluster gives is refused
 *    (kube.tls) before any request reaches its API server, and is not retried without verification;
 *  - an API server that accepts connections and never answers fails its cluster within the request
 *    timeout while the rest of the pass completes;
 *  - two hubs running at once (two in-process passes, two CLI `apply` processes) with overlapping
 *    writes lose no hand edit, converge, and keep every replaced version in the history.
 * The cluster directory and the aws-auth store are wrapped (never replaced) to point one cluster
 * elsewhere or to record what the hub asked for; everything else is the real adapters.
 */
import { type AddressInfo, createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { createAwsPorts, type RequestObserver } from '@eks-auth-hub/aws';
import {
  AWS_AUTH_KEYS,
  type AwsAuthStore,
  HISTORY_CONFIGMAP,
  type PassReport,
  type Ports,
  readHistory,
  reconcile,
} from '@eks-auth-hub/core';
import { makeCertificates, type SimClusterRef, type World } from '@eks-auth-hub/sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CliRun,
  calls,
  DEMO_DISPUTED,
  demoHubFile,
  expectConverged,
  explain,
  liveMapRoles,
  mappingOf,
  outcomes,
  redirect,
  refOf,
  resultOf,
  runCli,
  snapshot,
  useDemoWorld,
} from './helpers.js';

const { h, state, names } = useDemoWorld();

let passes = 0;
function run(ports: Ports, label = 'pass'): Promise<PassReport> {
  passes += 1;
  return reconcile(state, ports, { passId: `transport-${label}-${passes}`, dryRun: false });
}

/** Kubernetes requests as the hub's adapters saw them end: verb and code (`200`, `409`, `tls`, `timeout`, …). */
function kubeRecorder(): { readonly observer: RequestObserver; readonly seen: { verb: string; code: string }[] } {
  const seen: { verb: string; code: string }[] = [];
  return { seen, observer: { aws: () => undefined, kube: (verb, code) => void seen.push({ verb, code }) } };
}

/** Kubernetes requests the simulator answered (or faulted), all clusters and verbs together. */
function k8sAnswered(): number {
  return Object.entries(h.sim.control.counters())
    .filter(([operation]) => operation.startsWith('k8s:'))
    .reduce((sum, [, count]) => sum + count.calls, 0);
}

const simRef = (name: string): SimClusterRef => refOf(state, name);
const keyOf = (ref: SimClusterRef): string => `${ref.account}/${ref.region}/${ref.cluster}`;

function historyOf(name: string): { replacedAt: string; passId: string; data: Readonly<Record<string, string>> }[] | null {
  const ref = simRef(name);
  const object = h.sim.world.cluster(ref.account, ref.region, ref.cluster).configMaps.get(`kube-system/${HISTORY_CONFIGMAP}`);
  return object === undefined ? null : readHistory(object.data);
}

/** The outcome is not a failure or a refusal for any cluster but `except`, which failed. */
function othersFine(report: PassReport, except: string): void {
  expect(report.clusters.map((c) => c.name).sort(), 'every cluster has a result').toEqual([...names].sort());
  const notFine = report.clusters.filter((c) => c.outcome !== 'applied' && c.outcome !== 'unchanged').map((c) => `${c.name}: ${c.outcome}`);
  expect(notFine, explain(report)).toEqual([`${except}: failed`]);
}

/** Rejects when `promise` takes longer than `ms` (a hung pass fails with a message, not a test timeout). */
async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

// -------------------------------------------------------------------------------------------------

describe('a cluster whose certificate does not match the CA from DescribeCluster', { timeout: 20_000 }, () => {
  const victim = 'ml-training';

  it('is refused (kube.tls, terminal) before any request reaches it, never retried without verification; the others converge', async () => {
    // A CA of its own, with the same name as the simulator's (the issuer name matches; the key does not).
    const foreign = await makeCertificates();
    expect(foreign.caPem).not.toBe(h.sim.caPem);
    const before = snapshot(h.sim);
    const victimKey = keyOf(simRef(victim));
    const historyBefore = historyOf(victim);

    // Two passes (fresh ports each, as two runs): a refused cluster is refused again, not retried some other way.
    for (const round of [1, 2]) {
      const kube = kubeRecorder();
      const ports = createAwsPorts({
        hub: state.hub,
        maxAttempts: 1,
        requestTimeoutMs: 5_000,
        connectionTimeoutMs: 3_000,
        observer: kube.observer,
      });
      const answeredBefore = k8sAnswered();
      const getsBefore = calls(h.sim, 'k8s:get');
      const report = await run(
        redirect(ports, victim, (endpoint) => ({ ...endpoint, caPem: foreign.caPem })),
        'tls',
      );
      const answered = k8sAnswered() - answeredBefore;
      const gets = calls(h.sim, 'k8s:get') - getsBefore;

      othersFine(report, victim);
      const failed = resultOf(report, victim);
      expect(failed.error, `round ${round}`).toMatchObject({ kind: 'terminal', code: 'kube.tls' });
      console.log(`tls round ${round}: ${victim} ${failed.error?.code}: ${failed.error?.message}`);
      // Exactly one attempt at the cluster, ended by the TLS check.
      expect(
        kube.seen.filter((s) => s.code === 'tls'),
        `round ${round}`,
      ).toEqual([{ verb: 'get', code: 'tls' }]);
      // Every request the simulator saw is one the hub made to another cluster and got an answer for:
      // nothing of the refused cluster's reached the API server (no unverified retry either).
      expect(answered, `round ${round}: requests answered by the simulator vs. the hub's requests that were not refused by TLS`).toBe(
        kube.seen.filter((s) => s.code !== 'tls').length,
      );
      // The hub's reads: one per cluster at least; the simulator saw all of them but the refused one.
      expect(ports.awsAuth.calls['get'] ?? 0).toBeGreaterThanOrEqual(names.length);
      expect(gets, `round ${round}: reads the simulator answered`).toBe((ports.awsAuth.calls['get'] ?? 0) - 1);
    }

    const after = snapshot(h.sim);
    expect(after[victimKey], `${victim} must be untouched`).toEqual(before[victimKey]);
    expect(historyOf(victim), `${victim}'s history must be untouched`).toEqual(historyBefore);
    expectConverged(
      h.sim,
      state,
      names.filter((n) => n !== victim),
      DEMO_DISPUTED,
    );
  });
});

// -------------------------------------------------------------------------------------------------

interface HoldingServer {
  readonly url: string;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Connections on which bytes arrived: the HTTP request (TLS: after the handshake) or the ClientHello (raw TCP). */
  readonly requests: number;
  /** Connections still open. */
  open(): number;
  close(): Promise<void>;
}

/**
 * A server on 127.0.0.1 that accepts connections and never answers: raw TCP (the TLS handshake
 * never completes) or TLS with the given certificate (the handshake completes, the HTTP request is
 * read and never answered).
 */
async function holdingServer(tls?: { key: string; cert: string }): Promise<HoldingServer> {
  const sockets = new Set<Socket>();
  const counts = { connections: 0, requests: 0 };
  const hold = (socket: Socket): void => {
    counts.connections += 1;
    sockets.add(socket);
    let counted = false;
    socket.on('data', () => {
      if (!counted) counts.requests += 1;
      counted = true;
    });
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  };
  const server: NetServer = tls === undefined ? createNetServer(hold) : createTlsServer({ key: tls.key, cert: tls.cert }, hold);
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}/k8s/holding`,
    get connections() {
      return counts.connections;
    },
    get requests() {
      return counts.requests;
    },
    open: () => sockets.size,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('an API server that accepts connections and never answers', { timeout: 30_000 }, () => {
  const cases: readonly { readonly label: string; readonly victim: string; readonly tls: boolean }[] = [
    { label: 'raw TCP: the TLS handshake never completes', victim: 'platform-tools', tls: false },
    { label: 'TLS: the handshake completes, the request is never answered', victim: 'payments-prod', tls: true },
  ];
  for (const c of cases) {
    it(`(${c.label}) fails ${c.victim} within the request timeout (kube.timeout or kube.network) while the rest of the pass completes`, async () => {
      const certificates = c.tls ? await makeCertificates() : undefined;
      const server = await holdingServer(certificates === undefined ? undefined : { key: certificates.key, cert: certificates.cert });
      try {
        const before = snapshot(h.sim);
        const key = keyOf(simRef(c.victim));
        const ports = createAwsPorts({ hub: state.hub, requestTimeoutMs: 500 });
        const started = performance.now();
        const report = await within(
          15_000,
          'the pass',
          run(
            redirect(ports, c.victim, (endpoint) => ({ ...endpoint, endpoint: server.url, caPem: certificates?.caPem ?? endpoint.caPem })),
            'hang',
          ),
        );
        const seconds = ((performance.now() - started) / 1000).toFixed(2);
        const failed = resultOf(report, c.victim);
        console.log(
          `hang (${c.tls ? 'tls' : 'tcp'}): the pass took ${seconds} s; ${c.victim} ${failed.error?.code} after ${failed.durationMs} ms: ${failed.error?.message}; ` +
            `server: ${server.connections} connection(s), ${server.requests} sent data, ${server.open()} still open at the end of the pass`,
        );
        othersFine(report, c.victim);
        expect(['kube.timeout', 'kube.network'], failed.error?.message).toContain(failed.error?.code);
        expect(failed.error?.kind).toBe('transient');
        // The hub did reach the holding server (so it was the timeout that ended it), and only once.
        expect(server.connections).toBe(1);
        if (c.tls) expect(server.requests, 'the HTTP request reached the holding server').toBe(1);
        expect(snapshot(h.sim)[key], `${c.victim} is untouched`).toEqual(before[key]);
        expectConverged(
          h.sim,
          state,
          names.filter((n) => n !== c.victim),
          DEMO_DISPUTED,
        );
        // The hub gave up on the connection rather than leaving it open.
        for (let i = 0; i < 100 && server.open() > 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
        expect(server.open(), 'connections the hub left open to the hanging server').toBe(0);
      } finally {
        await server.close();
      }
    });
  }
});

// -------------------------------------------------------------------------------------------------

interface Put {
  readonly cluster: string;
  readonly hand: boolean;
  readonly before: { readonly resourceVersion: string; readonly data: Record<string, string> } | null;
  readonly after: { readonly resourceVersion: string; readonly data: Record<string, string> };
}

interface WriteAttempt {
  readonly hub: string;
  readonly cluster: string;
  readonly create: boolean;
  readonly resourceVersion: string | undefined;
}

/** Only the mapping keys: what the history keeps. */
function mappingKeys(data: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of AWS_AUTH_KEYS) if (data[key] !== undefined) out[key] = data[key];
  return out;
}

describe('two hubs running at once', { timeout: 40_000 }, () => {
  const staging = simRef('payments-staging');
  const puts: Put[] = [];
  const attempts: WriteAttempt[] = [];
  const handEdits: string[] = [];
  let handEditing = false;
  let restore: () => void = () => undefined;
  let conflictsBefore = 0;

  const conflicts = (): number => h.sim.control.counters()['k8s:update']?.outcomes['409'] ?? 0;
  const delayed = (): number => h.sim.control.faultsInjected()['latency'] ?? 0;

  beforeAll(() => {
    // Every version of every aws-auth the simulator stores, and whether it was a hand edit: the
    // simulator's own record of what replaced what (instrumentation only; behaviour unchanged).
    const world: World = h.sim.world;
    const original = world.putConfigMap.bind(world);
    world.putConfigMap = (cluster, namespace, name, content) => {
      const existing = cluster.configMaps.get(`${namespace}/${name}`);
      const before = existing === undefined ? null : { resourceVersion: existing.resourceVersion, data: { ...existing.data } };
      const stored = original(cluster, namespace, name, content);
      if (namespace === 'kube-system' && name === 'aws-auth') {
        puts.push({
          cluster: cluster.name,
          hand: handEditing,
          before,
          after: { resourceVersion: stored.resourceVersion, data: { ...stored.data } },
        });
      }
      return stored;
    };
    restore = () => {
      world.putConfigMap = original;
    };
    conflictsBefore = conflicts();
  });
  afterAll(() => restore());

  /** A team adds its own mapping to payments-staging (ownership merge: the hub must keep it). */
  function handEdit(): void {
    const n = handEdits.length + 1;
    const arn = `arn:aws:iam::111122223333:role/team-${n}`;
    const live = h.sim.control.readAwsAuth(staging);
    const mapRoles = `${live?.data['mapRoles'] ?? ''}- rolearn: ${arn}\n  username: team-${n}\n  groups:\n    - team-${n}-admins\n`;
    handEditing = true;
    try {
      h.sim.control.editAwsAuth(staging, { ...live?.data, mapRoles });
    } finally {
      handEditing = false;
    }
    handEdits.push(arn);
  }

  function expectHandEditsKept(when: string): void {
    const roles = liveMapRoles(h.sim, staging);
    for (const [i, arn] of handEdits.entries()) {
      expect(mappingOf(roles, arn), `${when}: the hand edit ${arn} was lost`).toMatchObject({
        username: `team-${i + 1}`,
        groups: [`team-${i + 1}-admins`],
      });
    }
  }

  /** The hub's ports, with its aws-auth store wrapped to record the writes it asks for and to say when it has read a cluster. */
  function hubPorts(hub: string, onRead: (cluster: string) => void): Ports {
    const ports = createAwsPorts({ hub: state.hub, maxAttempts: 1, requestTimeoutMs: 5_000, connectionTimeoutMs: 3_000 });
    const real = ports.awsAuth;
    const awsAuth: AwsAuthStore = {
      read: async (cluster, endpoint) => {
        const observed = await real.read(cluster, endpoint);
        onRead(cluster.name);
        return observed;
      },
      write: (cluster, endpoint, change) => {
        attempts.push({ hub, cluster: cluster.name, create: change.create, resourceVersion: change.resourceVersion });
        return real.write(cluster, endpoint, change);
      },
      verify: (cluster, endpoint) => real.verify(cluster, endpoint),
      readHistory: (cluster, endpoint) => real.readHistory(cluster, endpoint),
      writeHistory: (cluster, endpoint, entries, resourceVersion) => real.writeHistory(cluster, endpoint, entries, resourceVersion),
    };
    return { ...ports, awsAuth };
  }

  const contested = ['payments-prod', 'payments-staging', 'platform-tools'];
  /** Something for every contested cluster to change: new Identity Center roles for AdministratorAccess. */
  function newAdminRoles(): void {
    h.sim.control.reassignPermissionSet('111122223333', 'AdministratorAccess');
    h.sim.control.reassignPermissionSet('555566667777', 'AdministratorAccess');
  }

  const multiAttempt: string[] = [];

  it('two in-process passes at once, with overlapping writes and a hand edit between read and write: none crashes, conflicts are handled, nothing is lost', async () => {
    for (const round of [1, 2, 3]) {
      newAdminRoles();
      const edit = round !== 2; // a hand edit in rounds 1 and 3; round 2 is just the two hubs racing
      const readers = new Set<string>();
      let bothRead: () => void = () => undefined;
      const stagingReadByBoth = new Promise<void>((resolve) => {
        bothRead = resolve;
      });
      const onRead = (hub: string) => (cluster: string) => {
        if (cluster !== 'payments-staging') return;
        readers.add(hub);
        if (readers.size === 2) bothRead();
      };
      const conflictsAtStart = conflicts();
      h.sim.control.setFault('k8s:update', { latencyMs: 200 });
      let reports: PassReport[];
      try {
        const running = Promise.all([run(hubPorts('A', onRead('A')), `A-r${round}`), run(hubPorts('B', onRead('B')), `B-r${round}`)]);
        if (edit) {
          // Both hubs have read payments-staging and are about to write it (their writes wait 200 ms
          // at the server): the edit lands between every read and every write.
          await within(10_000, 'both hubs reading payments-staging', stagingReadByBoth);
          handEdit();
        }
        reports = await within(20_000, `round ${round}`, running);
      } finally {
        h.sim.control.clearFaults();
      }
      for (const [i, report] of reports.entries()) {
        const hub = i === 0 ? 'A' : 'B';
        expect(
          report.clusters.filter((c) => c.outcome !== 'applied' && c.outcome !== 'unchanged').map((c) => c.name),
          `round ${round} hub ${hub}\n${explain(report)}`,
        ).toEqual([]);
        for (const c of report.clusters)
          if (c.attempts > 1) multiAttempt.push(`round ${round} hub ${hub} ${c.name}: ${c.outcome} after ${c.attempts} plans`);
      }
      // Both hubs wanted the same change to the contested clusters: it was made, by one of them or both.
      for (const name of contested) {
        const applied = reports.filter((r) => resultOf(r, name).outcome === 'applied').length;
        expect(applied, `round ${round}: ${name} applied by no hub`).toBeGreaterThan(0);
      }
      console.log(
        `round ${round}: A ${JSON.stringify(outcomes(reports[0] as PassReport))}, B ${JSON.stringify(outcomes(reports[1] as PassReport))}; ` +
          `409s answered: ${conflicts() - conflictsAtStart}${edit ? '; hand edit between read and write' : ''}`,
      );
      expectHandEditsKept(`round ${round}`);
      expectConverged(h.sim, state, undefined, DEMO_DISPUTED);
    }
    console.log(`plans repeated after a conflict:\n  ${multiAttempt.join('\n  ')}`);
    expect(multiAttempt.length, 'no hub ever had to read again and plan again: the writes did not overlap').toBeGreaterThan(0);
    expect(conflicts() - conflictsBefore, 'the simulator never answered 409 to an update').toBeGreaterThan(0);
    // Every replace the hubs sent was conditioned on the resourceVersion they had read.
    const unconditioned = attempts.filter((a) => !a.create && (a.resourceVersion === undefined || a.resourceVersion === ''));
    expect(unconditioned, 'replaces sent without a resourceVersion').toEqual([]);
    expect(
      attempts.filter((a) => a.create),
      'creates of an aws-auth that exists',
    ).toEqual([]);
  });

  it('two CLI `apply` processes at once, with a hand edit while a write is held: both exit 0 and nothing is lost', async () => {
    const cliAttempts: string[] = [];
    for (const round of [1, 2]) {
      newAdminRoles();
      const conflictsAtStart = conflicts();
      const heldBefore = delayed();
      h.sim.control.setFault('k8s:update', { latencyMs: 300 });
      let runs: CliRun[];
      try {
        const apply = (): Promise<CliRun> => runCli(['apply', '--config', demoHubFile, '--output', 'json'], h.sim.env());
        const running = Promise.all([apply(), apply()]);
        // The first write of either process is being held: edit payments-staging by hand.
        for (let i = 0; i < 1000 && delayed() === heldBefore; i++) await new Promise((resolve) => setTimeout(resolve, 10));
        expect(delayed(), 'neither process sent a write').toBeGreaterThan(heldBefore);
        handEdit();
        runs = await running;
      } finally {
        h.sim.control.clearFaults();
      }
      for (const [i, r] of runs.entries()) {
        expect(r.code, `round ${round} process ${i + 1}\n${r.stdout}\n${r.stderr}`).toBe(0);
        const report = JSON.parse(r.stdout) as PassReport;
        expect(
          report.clusters.filter((c) => c.outcome !== 'applied' && c.outcome !== 'unchanged').map((c) => c.name),
          explain(report),
        ).toEqual([]);
        for (const c of report.clusters)
          if (c.attempts > 1) cliAttempts.push(`round ${round} process ${i + 1} ${c.name}: ${c.outcome} after ${c.attempts} plans`);
      }
      console.log(`cli round ${round}: 409s answered: ${conflicts() - conflictsAtStart}`);
      expectHandEditsKept(`cli round ${round}`);
      expectConverged(h.sim, state, undefined, DEMO_DISPUTED);
    }
    console.log(`cli: plans repeated after a conflict:\n  ${cliAttempts.join('\n  ') || '(none)'}`);
  });

  it('one more pass finds every cluster converged; every version a hub replaced is in the cluster’s history', async () => {
    const report = await run(createAwsPorts({ hub: state.hub, maxAttempts: 1 }), 'final');
    expect(outcomes(report), explain(report)).toEqual(Object.fromEntries(names.map((n) => [n, 'unchanged'])));
    expectConverged(h.sim, state, undefined, DEMO_DISPUTED);
    expectHandEditsKept('final');
    expect(handEdits.length).toBe(4);

    // Each version the hubs replaced (as the simulator stored them: a hub write replacing what was live)
    // must be in that cluster's history. Fewer than HISTORY_LIMIT (10) were replaced per cluster during
    // this describe, so none may have aged out. Entries for versions no write replaced are listed.
    const handVersions = new Set(puts.filter((p) => p.hand).map((p) => `${p.cluster}@${p.after.resourceVersion}`));
    for (const name of contested) {
      const hubPuts = puts.filter((p) => p.cluster === name && !p.hand && p.before !== null);
      const replaced = hubPuts.map((p) => ({
        data: JSON.stringify(mappingKeys(p.before?.data ?? {})),
        hand: handVersions.has(`${name}@${p.before?.resourceVersion ?? ''}`),
      }));
      const history = historyOf(name) ?? [];
      const unmatched = history.map((e) => JSON.stringify(e.data));
      const missing: { data: string; hand: boolean }[] = [];
      for (const version of replaced) {
        const at = unmatched.indexOf(version.data);
        if (at < 0) missing.push(version);
        else unmatched.splice(at, 1);
      }
      console.log(
        `${name}: ${replaced.length} versions replaced by hub writes (${replaced.filter((r) => r.hand).length} of them hand edits); ` +
          `history holds ${history.length} entries [${history.map((e) => e.passId).join(', ')}]; ` +
          `${missing.length} replaced versions missing (${missing.filter((m) => m.hand).length} hand edits); ${unmatched.length} entries for no replacement`,
      );
      expect(replaced.length, `${name} was never written by the hubs`).toBeGreaterThan(0);
      expect(replaced.length).toBeLessThanOrEqual(10);
      expect
        .soft(
          missing.map((m) => (m.hand ? `hand-edited version: ${m.data}` : m.data)),
          `${name}: versions the hubs replaced that are missing from ${HISTORY_CONFIGMAP} (which holds ${history.length} entries, ` +
            `${unmatched.length} of them for versions no write replaced)`,
        )
        .toEqual([]);
    }
    // The hubs did replace hand-edited versions of payments-staging (so the check above covered them).
    expect(
      puts.some(
        (p) => p.cluster === staging.cluster && !p.hand && handVersions.has(`${staging.cluster}@${p.before?.resourceVersion ?? ''}`),
      ),
    ).toBe(true);
  });
});
