/**
 * The control API: what tests, the demo and the benchmark do to the world between (or during)
 * passes. The same operations are offered in-process (`SimControl`, here) and as JSON over HTTP under
 * `/_sim/` on the AWS endpoint (`control-routes.ts`).
 */
import { type ConfigMapContent, renderConfigMap } from './configmap.js';
import { invalidMessage, validateConfigMap } from './configmap-validate.js';
import type { Counters, FaultSpec, Faults, OperationCount } from './faults.js';
import { SimError } from './sim-error.js';
import type { World } from './world.js';
import type { Cluster } from './world-model.js';
import { type ConfigMapManifest, type ConfigMapManifestInput, configMapManifestSchema, manifestContent } from './world-schema.js';

/** A cluster of the simulated world, by account, region and name (not the core's `ClusterRef`, which has a partition and `name`). */
export interface SimClusterRef {
  readonly account: string;
  readonly region: string;
  readonly cluster: string;
}

export interface AwsAuthState {
  readonly data: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly resourceVersion: string;
}

export class SimControl {
  constructor(
    private readonly world: World,
    private readonly faults: Faults,
    private readonly counts: Counters,
  ) {}

  private cluster(ref: SimClusterRef): Cluster {
    return this.world.cluster(ref.account, ref.region, ref.cluster);
  }

  /**
   * The permission set's last assignment in the account removed and a new one made: Identity Center
   * deletes its role and creates one with a new suffix. Returns the removed and the new role ARNs.
   */
  reassignPermissionSet(account: string, permissionSet: string): { removed: string[]; roleArn: string } {
    const { removed, created } = this.world.reassignPermissionSet(account, permissionSet);
    return { removed: removed.map((r) => r.arn), roleArn: created.arn };
  }

  /**
   * An assignment where the permission set had none in the account: Identity Center creates its role
   * with a new suffix. Called while the permission set has a role, it makes a second one, a state
   * Identity Center does not make (for the hub's ambiguity checks).
   */
  assignPermissionSet(account: string, permissionSet: string, region?: string): { roleArn: string } {
    return { roleArn: this.world.assignPermissionSet(account, permissionSet, { region }).arn };
  }

  /**
   * ProvisionPermissionSet (re-provisioning): policy changes pushed to the permission set's existing
   * role; the role and its suffix stay. Returns the role ARNs, unchanged.
   */
  provisionPermissionSet(account: string, permissionSet: string): { roleArns: string[] } {
    return { roleArns: this.world.provisionPermissionSet(account, permissionSet).map((r) => r.arn) };
  }

  createRole(
    account: string,
    name: string,
    path = '/',
    trust: readonly { principal: string; externalId?: string }[] = [],
  ): { roleArn: string } {
    return { roleArn: this.world.addRole(account, { name, path, trust }).arn };
  }

  deleteRole(account: string, name: string): void {
    this.world.deleteRole(account, name);
  }

  /**
   * The console's "Revoke active sessions": every session of the role issued before now is denied
   * every call (sessions assumed afterwards work). Returns the revocation time.
   */
  revokeSessions(account: string, name: string): { revokedBefore: string } {
    const role = this.world.revokeSessions(account, name);
    return { revokedBefore: new Date(role.revokedBefore ?? 0).toISOString() };
  }

  /** Deletes a role and creates it again under the same name and trust: a new role id, its old sessions denied. */
  recreateRole(account: string, name: string): { roleArn: string; roleId: string } {
    const role = this.world.recreateRole(account, name);
    return { roleArn: role.arn, roleId: role.roleId };
  }

  /** Deletes the cluster and creates it again under the same name: a new endpoint, nothing inside. */
  recreateCluster(ref: SimClusterRef): void {
    this.world.recreateCluster(ref.account, ref.region, ref.cluster);
  }

  /**
   * What DescribeCluster answers as the cluster's endpoint: any URL (another host, a recorder), or
   * null for the simulated API server again. A hostile or broken EKS answer, for the hub's checks.
   */
  setClusterEndpoint(ref: SimClusterRef, endpoint: string | null): void {
    const cluster = this.cluster(ref);
    if (endpoint === null) delete cluster.endpointOverride;
    else cluster.endpointOverride = endpoint;
  }

  addNodegroup(ref: SimClusterRef, name: string, nodeRole: string, amiType = 'AL2023_x86_64_STANDARD'): void {
    const cluster = this.cluster(ref);
    if (cluster.nodegroups.has(name)) throw new SimError(409, 'ResourceInUseException', `NodeGroup already exists with name ${name}`);
    cluster.nodegroups.set(name, { name, nodeRole, amiType, createdAt: new Date(this.world.now()) });
  }

  removeNodegroup(ref: SimClusterRef, name: string): void {
    if (!this.cluster(ref).nodegroups.delete(name))
      throw new SimError(404, 'ResourceNotFoundException', `No node group found for name: ${name}.`);
  }

  addFargateProfile(ref: SimClusterRef, name: string, podExecutionRoleArn: string): void {
    const cluster = this.cluster(ref);
    if (cluster.fargateProfiles.has(name))
      throw new SimError(409, 'ResourceInUseException', `Fargate Profile already exists with name ${name}`);
    cluster.fargateProfiles.set(name, { name, podExecutionRoleArn, createdAt: new Date(this.world.now()) });
  }

  removeFargateProfile(ref: SimClusterRef, name: string): void {
    if (!this.cluster(ref).fargateProfiles.delete(name))
      throw new SimError(404, 'ResourceNotFoundException', `No Fargate Profile found with name: ${name}.`);
  }

  /** The live `kube-system/aws-auth`, or null when the cluster has none. */
  readAwsAuth(ref: SimClusterRef): AwsAuthState | null {
    const object = this.cluster(ref).configMaps.get('kube-system/aws-auth');
    return object === undefined
      ? null
      : { data: { ...object.data }, annotations: { ...object.annotations }, resourceVersion: object.resourceVersion };
  }

  /**
   * A hand edit: replaces the data (annotations kept unless given; labels, binaryData, immutable and
   * the other metadata kept); null deletes the ConfigMap.
   */
  editAwsAuth(ref: SimClusterRef, data: Record<string, string> | null, annotations?: Record<string, string>): AwsAuthState | null {
    const cluster = this.cluster(ref);
    if (data === null) {
      cluster.configMaps.delete('kube-system/aws-auth');
      cluster.resourceVersion += 1;
      return null;
    }
    const existing = cluster.configMaps.get('kube-system/aws-auth');
    const content: ConfigMapContent = {
      ...(existing === undefined ? {} : existing),
      data,
      ...(annotations === undefined ? {} : { annotations }),
    };
    const errors = validateConfigMap(content);
    if (errors.length > 0) throw new SimError(422, 'Invalid', invalidMessage('aws-auth', errors));
    this.world.putConfigMap(cluster, 'kube-system', 'aws-auth', content);
    return this.readAwsAuth(ref);
  }

  /**
   * Plants a ConfigMap from a manifest, replacing any of the same name: the state someone (or some
   * tool) left behind. The API server's shape rules apply (keys, size, base64), not immutability.
   * Returns the object as a GET would.
   */
  putConfigMap(ref: SimClusterRef, manifest: ConfigMapManifestInput): Record<string, unknown> {
    const parsed: ConfigMapManifest = configMapManifestSchema.parse(manifest);
    const cluster = this.cluster(ref);
    const stored = this.world.putConfigMap(cluster, parsed.metadata.namespace, parsed.metadata.name, manifestContent(parsed));
    return renderConfigMap(stored);
  }

  /**
   * Adds a data key `padding` of `bytes` bytes to a stored ConfigMap, past the API server's 1 MiB
   * rule: what a broken or hostile server would serve, for the hub's limits. Returns the new size of
   * its data.
   */
  padConfigMap(ref: SimClusterRef, namespace: string, name: string, bytes: number): { dataBytes: number } {
    const cluster = this.cluster(ref);
    const object = cluster.configMaps.get(`${namespace}/${name}`);
    if (object === undefined) throw new SimError(404, 'NotFound', `configmaps "${name}" not found`);
    const content: ConfigMapContent = { ...object, data: { ...object.data, padding: 'x'.repeat(bytes) } };
    const stored = this.world.putConfigMap(cluster, namespace, name, content);
    return { dataBytes: Object.values(stored.data).reduce((n, v) => n + Buffer.byteLength(v), 0) };
  }

  /** ListRoles pages of `size` roles whatever MaxItems asks (IAM never exceeds 1,000); null: IAM's behaviour again. */
  setListRolesPageSize(size: number | null): void {
    this.world.listRolesPageOverride = size ?? undefined;
  }

  /** A ConfigMap as a GET would return it, or null. */
  readConfigMap(ref: SimClusterRef, namespace: string, name: string): Record<string, unknown> | null {
    const object = this.cluster(ref).configMaps.get(`${namespace}/${name}`);
    return object === undefined ? null : renderConfigMap(object);
  }

  counters(): Record<string, OperationCount> {
    return this.counts.snapshot();
  }

  /** Authenticated AWS calls by principal (a session's role ARN, or a user's ARN) and operation. */
  principals(): Record<string, Record<string, number>> {
    return this.counts.principals();
  }

  resetCounters(): void {
    this.counts.reset();
  }

  setFault(operation: string, spec: FaultSpec): void {
    this.faults.set(operation, spec);
  }

  clearFaults(seed?: number): void {
    this.faults.clear(seed);
  }

  faultsInjected(): Record<string, number> {
    return { ...this.faults.injected };
  }

  /** IAM's eventual consistency: sessions younger than `ms` are refused as invalid tokens (0: known at once). */
  setSessionPropagation(ms: number): void {
    this.world.sessionPropagationMs = ms;
  }

  /** Moves the simulator's clock forward: credentials and tokens expire as they would. */
  advanceClock(seconds: number): void {
    this.world.clockOffsetMs += seconds * 1000;
  }

  clusters(): SimClusterRef[] {
    return [...this.world.clustersById.values()].map((c) => ({ account: c.account, region: c.region, cluster: c.name }));
  }
}
