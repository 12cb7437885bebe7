/** The desired-state file for a generated world, as the end-to-end tests and the soak use it. */
import { SPOKE_ROLE, type WorldFileInput } from '@eks-auth-hub/sim';

export interface GeneratedHubOptions {
  readonly concurrency?: number;
  readonly accountConcurrency?: number;
  /** `hub.passTimeout` in milliseconds (left out of the file when not given). */
  readonly passTimeoutMs?: number;
}

/**
 * A desired-state file for every cluster of a generated world: the defaults map the
 * AdministratorAccess and ReadOnly permission sets; the hub assumes eks-auth-hub-spoke with the
 * generator's ExternalId.
 */
export function generatedHubYaml(world: WorldFileInput, options: GeneratedHubOptions = {}): string {
  const lines = [
    'apiVersion: eks-auth-hub/v1',
    'hub:',
    `  roleName: ${SPOKE_ROLE}`,
    '  externalId: example-external-id',
    `  concurrency: ${options.concurrency ?? 16}`,
    `  accountConcurrency: ${options.accountConcurrency ?? 5}`,
    ...(options.passTimeoutMs === undefined ? [] : [`  passTimeout: ${options.passTimeoutMs / 1000}s`]),
    'defaults:',
    '  mapRoles:',
    '    - permissionset: AdministratorAccess',
    '      username: "admin:{{SessionName}}"',
    '      groups: [system:masters]',
    '    - permissionset: ReadOnly',
    '      username: "ro:{{SessionName}}"',
    '      groups: [viewers]',
    'clusters:',
  ];
  for (const account of world.accounts ?? []) {
    for (const cluster of account.clusters ?? [])
      lines.push(`  - { name: ${cluster.name}, account: "${account.id}", region: ${cluster.region ?? ''} }`);
  }
  return `${lines.join('\n')}\n`;
}
