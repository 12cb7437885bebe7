/**
 * The simulated world's state: accounts, IAM roles, issued credentials, clusters and their
 * ConfigMaps. Mutated by the wire handlers (AssumeRole, ConfigMap writes) and the control API.
 * The shapes of what it holds are in `world-model.ts`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { roleArn } from '@eks-auth-hub/core';
import type { ConfigMapContent, ConfigMapObject } from './configmap.js';
import { Random } from './random.js';
import { SimError } from './sim-error.js';
import type { Account, Cluster, Credential, Partition, Role, SessionDenial, Trust } from './world-model.js';
import { manifestContent, type WorldFile } from './world-schema.js';

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export class World {
  readonly partition: Partition;
  readonly managementAccount: string;
  readonly hub: Credential;
  readonly accounts = new Map<string, Account>();
  readonly credentials = new Map<string, Credential>();
  readonly clustersById = new Map<string, Cluster>();
  readonly settings: { maxListRolesPageSize: number; maxEksPageSize: number };
  /** When set (control API), ListRoles answers pages of this many roles whatever MaxItems asks, as IAM never does. */
  listRolesPageOverride: number | undefined;
  readonly random: Random;
  /** Added to the real clock: lets tests expire credentials and tokens without waiting. */
  clockOffsetMs = 0;
  /**
   * IAM's eventual consistency: a session younger than this (ms) is not known yet wherever it is
   * shown, and is refused as an invalid token (0: known at once).
   */
  sessionPropagationMs = 0;

  constructor(file: WorldFile) {
    this.partition = file.partition;
    this.random = new Random(file.seed);
    this.settings = { ...file.settings };
    this.managementAccount = file.management.account;
    const hubArn = `arn:${this.partition}:iam::${file.management.account}:user/${file.management.principal.userName}`;
    this.hub = {
      accessKeyId: file.management.principal.accessKeyId,
      secretAccessKey: file.management.principal.secretAccessKey,
      account: file.management.account,
      arn: hubArn,
      userId: this.newId('AIDA'),
    };
    this.credentials.set(this.hub.accessKeyId, this.hub);
    const created = new Date(Date.UTC(2025, 0, 1));
    this.accounts.set(file.management.account, { id: file.management.account, roles: new Map(), clusters: new Map() });
    for (const acct of file.accounts) {
      const account: Account = { id: acct.id, roles: new Map(), clusters: new Map() };
      this.accounts.set(acct.id, account);
      for (const role of acct.roles) {
        this.addRole(
          acct.id,
          { name: role.name, path: role.path, trust: role.trust, maxSessionDurationSeconds: role.maxSessionDurationSeconds },
          created,
        );
      }
      for (const set of acct.permissionSets) {
        this.assignPermissionSet(acct.id, set.name, { region: set.region, suffix: set.suffix, trust: set.trust, createdAt: created });
      }
      for (const c of acct.clusters) {
        const id = createHash('sha256').update(`${acct.id}/${c.region}/${c.name}`).digest('hex').slice(0, 16);
        const cluster: Cluster = {
          account: acct.id,
          region: c.region,
          name: c.name,
          id,
          arn: `arn:${this.partition}:eks:${c.region}:${acct.id}:cluster/${c.name}`,
          version: c.version,
          authenticationMode: c.authenticationMode,
          creator: c.creator,
          createdAt: created,
          nodegroups: new Map(c.nodegroups.map((n) => [n.name, { ...n, createdAt: created }])),
          fargateProfiles: new Map(c.fargateProfiles.map((f) => [f.name, { ...f, createdAt: created }])),
          configMaps: new Map(),
          resourceVersion: 1,
        };
        account.clusters.set(`${c.region}/${c.name}`, cluster);
        this.clustersById.set(id, cluster);
        if (c.awsAuth !== undefined) this.putConfigMap(cluster, 'kube-system', 'aws-auth', { data: c.awsAuth });
        for (const manifest of c.configMaps)
          this.putConfigMap(cluster, manifest.metadata.namespace, manifest.metadata.name, manifestContent(manifest));
      }
    }
  }

  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  newId(prefix: string): string {
    let id = prefix;
    for (let i = 0; i < 17; i++) id += ID_ALPHABET[this.random.int(ID_ALPHABET.length)];
    return id;
  }

  account(id: string): Account {
    const account = this.accounts.get(id);
    if (account === undefined) throw new SimError(404, 'NoSuchAccount', `account ${id} does not exist in this world`);
    return account;
  }

  roleArn(account: string, path: string, name: string): string {
    return roleArn(this.partition, account, name, path);
  }

  addRole(
    accountId: string,
    spec: { name: string; path?: string; trust?: readonly Trust[]; maxSessionDurationSeconds?: number; permissionSet?: string },
    createdAt = new Date(this.now()),
  ): Role {
    const account = this.account(accountId);
    const key = spec.name.toLowerCase();
    if (account.roles.has(key)) throw new SimError(409, 'EntityAlreadyExists', `Role with name ${spec.name} already exists.`);
    const path = spec.path ?? '/';
    const role: Role = {
      name: spec.name,
      path,
      roleId: this.newId('AROA'),
      arn: this.roleArn(accountId, path, spec.name),
      createDate: createdAt,
      trust: spec.trust ?? [],
      maxSessionDurationSeconds: spec.maxSessionDurationSeconds ?? 3600,
      ...(spec.permissionSet === undefined ? {} : { permissionSet: spec.permissionSet }),
    };
    account.roles.set(key, role);
    return role;
  }

  /** Whether `credential` is a session issued too recently to be known everywhere (sessionPropagationMs). */
  propagating(credential: Credential): boolean {
    return credential.issuedAt !== undefined && this.now() - credential.issuedAt < this.sessionPropagationMs;
  }

  /** Why every call of `credential` is denied now, if it is (see SessionDenial). */
  sessionDenial(credential: Credential): SessionDenial | undefined {
    if (credential.roleArn === undefined || credential.roleId === undefined) return undefined;
    const name = credential.roleArn.slice(credential.roleArn.lastIndexOf('/') + 1);
    const role = this.accounts.get(credential.account)?.roles.get(name.toLowerCase());
    if (role === undefined || role.roleId !== credential.roleId) return 'implicit';
    if (role.revokedBefore !== undefined && (credential.issuedAt ?? 0) < role.revokedBefore) return 'explicit';
    return undefined;
  }

  /** "Revoke active sessions" on a role: its sessions issued before now are denied everything. */
  revokeSessions(accountId: string, name: string): Role {
    const role = this.account(accountId).roles.get(name.toLowerCase());
    if (role === undefined) throw new SimError(404, 'NoSuchEntity', `The role with name ${name} cannot be found.`);
    role.revokedBefore = this.now();
    return role;
  }

  /**
   * Deletes a role and creates it again under the same name, path, trust and session length (a stack
   * replaced): a new role id, so the old role's sessions are denied from then on.
   */
  recreateRole(accountId: string, name: string): Role {
    const old = this.deleteRole(accountId, name);
    return this.addRole(accountId, {
      name: old.name,
      path: old.path,
      trust: old.trust,
      maxSessionDurationSeconds: old.maxSessionDurationSeconds,
      ...(old.permissionSet === undefined ? {} : { permissionSet: old.permissionSet }),
    });
  }

  deleteRole(accountId: string, name: string): Role {
    const account = this.account(accountId);
    const role = account.roles.get(name.toLowerCase());
    if (role === undefined) throw new SimError(404, 'NoSuchEntity', `The role with name ${name} cannot be found.`);
    account.roles.delete(name.toLowerCase());
    return role;
  }

  /**
   * Creates the Identity Center role of a permission set (a new random suffix), as its first
   * assignment in an account does (the role exists while the permission set has an assignment there).
   */
  assignPermissionSet(
    accountId: string,
    permissionSet: string,
    options: { region?: string | undefined; suffix?: string | undefined; trust?: readonly Trust[]; createdAt?: Date } = {},
  ): Role {
    const suffix = options.suffix ?? this.random.hex(16);
    const path = options.region === undefined ? '/aws-reserved/sso.amazonaws.com/' : `/aws-reserved/sso.amazonaws.com/${options.region}/`;
    return this.addRole(
      accountId,
      { name: `AWSReservedSSO_${permissionSet}_${suffix}`, path, trust: options.trust ?? [], permissionSet },
      options.createdAt,
    );
  }

  /** The Identity Center roles of a permission set in an account. */
  permissionSetRoles(accountId: string, permissionSet: string): Role[] {
    return [...this.account(accountId).roles.values()].filter((r) => r.permissionSet === permissionSet);
  }

  /**
   * The permission set's last assignment in the account removed, then a new one made: Identity Center
   * deletes its role, then creates a new one with a new suffix (same path form).
   */
  reassignPermissionSet(accountId: string, permissionSet: string): { removed: Role[]; created: Role } {
    const removed = this.permissionSetRoles(accountId, permissionSet);
    if (removed.length === 0) throw new SimError(404, 'NoSuchEntity', `permission set ${permissionSet} is not provisioned in ${accountId}`);
    const first = removed[0];
    for (const role of removed) this.deleteRole(accountId, role.name);
    const region = first === undefined ? undefined : /^\/aws-reserved\/sso\.amazonaws\.com\/([^/]+)\/$/.exec(first.path)?.[1];
    return { removed, created: this.assignPermissionSet(accountId, permissionSet, { region, trust: first?.trust ?? [] }) };
  }

  /**
   * ProvisionPermissionSet: Identity Center pushes the permission set's policies to its existing role
   * in the account. The role, its id and its suffix stay (the simulator keeps no policies: nothing
   * changes). Returns the roles provisioned.
   */
  provisionPermissionSet(accountId: string, permissionSet: string): Role[] {
    const roles = this.permissionSetRoles(accountId, permissionSet);
    if (roles.length === 0) throw new SimError(404, 'NoSuchEntity', `permission set ${permissionSet} is not provisioned in ${accountId}`);
    return roles;
  }

  cluster(accountId: string, region: string, name: string): Cluster {
    const cluster = this.accounts.get(accountId)?.clusters.get(`${region}/${name}`);
    if (cluster === undefined) throw new SimError(404, 'ResourceNotFoundException', `No cluster found for name: ${name}.`);
    return cluster;
  }

  /**
   * Deletes a cluster and creates it again under the same name, as EKS would: the same ARN, a new
   * creation time and API server (a new endpoint: the old one answers nothing any more), no node
   * groups, Fargate profiles or ConfigMaps.
   */
  recreateCluster(accountId: string, region: string, name: string): Cluster {
    const old = this.cluster(accountId, region, name);
    const createdAt = new Date(Math.max(this.now(), old.createdAt.getTime() + 1000));
    const id = createHash('sha256').update(`${accountId}/${region}/${name}@${createdAt.getTime()}`).digest('hex').slice(0, 16);
    const { endpointOverride: _override, ...rest } = old;
    const cluster: Cluster = {
      ...rest,
      id,
      createdAt,
      nodegroups: new Map(),
      fargateProfiles: new Map(),
      configMaps: new Map(),
      resourceVersion: 1,
    };
    this.clustersById.delete(old.id);
    this.clustersById.set(id, cluster);
    this.account(accountId).clusters.set(`${region}/${name}`, cluster);
    return cluster;
  }

  /** Issues temporary credentials for a role session. */
  issueSession(role: Role, account: string, sessionName: string, durationSeconds: number): Credential {
    const accessKeyId = `ASIA${randomBytes(12).toString('hex').toUpperCase().slice(0, 16)}`;
    const issuedAt = this.now();
    const credential: Credential = {
      accessKeyId,
      secretAccessKey: randomBytes(30).toString('base64').slice(0, 40),
      sessionToken: randomBytes(96).toString('base64'),
      expiresAt: issuedAt + durationSeconds * 1000,
      account,
      arn: `arn:${this.partition}:sts::${account}:assumed-role/${role.name}/${sessionName}`,
      userId: `${role.roleId}:${sessionName}`,
      roleArn: role.arn,
      roleId: role.roleId,
      issuedAt,
    };
    this.pruneExpiredSessions();
    this.credentials.set(accessKeyId, credential);
    return credential;
  }

  private pruned = 0;
  private pruneExpiredSessions(): void {
    // Amortised: look at the whole table only every 1,000 issues.
    this.pruned += 1;
    if (this.pruned % 1000 !== 0) return;
    const cutoff = this.now() - 3_600_000;
    for (const [key, credential] of this.credentials) {
      if (credential.expiresAt !== undefined && credential.expiresAt < cutoff) this.credentials.delete(key);
    }
  }

  /**
   * Creates or replaces a ConfigMap (the world loader, hand edits, and the API server after its
   * checks). Labels and annotations left out keep the ones stored; every other field is as given.
   */
  putConfigMap(cluster: Cluster, namespace: string, name: string, content: ConfigMapContent): ConfigMapObject {
    const key = `${namespace}/${name}`;
    const existing = cluster.configMaps.get(key);
    cluster.resourceVersion += 1;
    const object: ConfigMapObject = {
      name,
      namespace,
      uid: existing?.uid ?? this.uid(),
      resourceVersion: String(cluster.resourceVersion),
      creationTimestamp: existing?.creationTimestamp ?? new Date(this.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      labels: { ...(content.labels ?? existing?.labels ?? {}) },
      annotations: { ...(content.annotations ?? existing?.annotations ?? {}) },
      data: { ...content.data },
      binaryData: { ...(content.binaryData ?? {}) },
      ...(content.immutable === undefined ? {} : { immutable: content.immutable }),
      ownerReferences: [...(content.ownerReferences ?? [])],
      finalizers: [...(content.finalizers ?? [])],
      managedFields: [...(content.managedFields ?? [])],
      ...(existing?.deletionTimestamp === undefined ? {} : { deletionTimestamp: existing.deletionTimestamp }),
    };
    cluster.configMaps.set(key, object);
    return object;
  }

  uid(): string {
    const h = this.random.hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
  }
}
