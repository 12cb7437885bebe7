/**
 * The CloudFormation templates under deploy/cloudformation/, parsed with the intrinsic-function tags:
 * their structure (every reference resolves, every condition exists), and their IAM policies held
 * against what the hub really does. An end-to-end pass against the simulator records which principal
 * made which AWS call; then:
 * - the spoke role (spoke-role.yaml) allows exactly the actions the hub's sessions in a target account
 *   made, on every cluster, node group and Fargate profile of the world, and no action is wildcarded;
 * - its trust names only the hub's role, with the ExternalId condition;
 * - the hub's own role (hub-lambda.yaml, hub-ecs.yaml) allows the calls the hub made with its own
 *   credentials, on every spoke role (and the recovery role when one is set).
 * (cfn-lint is not installable on these machines: no PyPI and no Debian package; these checks stand in.)
 */
import { readdirSync } from 'node:fs';
import { createAwsPorts } from '@eks-auth-hub/aws';
import { reconcile } from '@eks-auth-hub/core';
import { demoState } from '@eks-auth-hub/testing';
import { useSimulator } from '@eks-auth-hub/testing/vitest';
import { describe, expect, it } from 'vitest';
import {
  allows,
  asList,
  condition,
  evaluate,
  loadTemplate,
  PSEUDO_PARAMETERS,
  parseTemplate,
  type Stack,
  type Statement,
  subVariables,
  TEMPLATE_DIR,
  type Template,
  walk,
} from './cloudformation.js';

const NAMES = ['hub-ecs.yaml', 'hub-lambda.yaml', 'hub-stepfunctions.yaml', 'spoke-role.yaml'];
const templates = Object.fromEntries(NAMES.map((name) => [name, loadTemplate(name)])) as Record<string, Template>;
const HUB_ACCOUNT = '999988887777';

function stack(name: string, accountId: string, parameters: Record<string, string> = {}): Stack {
  const template = templates[name];
  if (template === undefined) throw new Error(`no template ${name}`);
  return { template, parameters, accountId, region: 'eu-west-1', partition: 'aws' };
}

/** Every inline policy statement of a role resource, evaluated in a stack. */
function policyStatements(s: Stack, roleId: string): Statement[] {
  const role = s.template.Resources[roleId];
  expect(role?.Type).toBe('AWS::IAM::Role');
  const policies = (role?.Properties?.['Policies'] ?? []) as { PolicyDocument: { Statement: unknown[] } }[];
  return policies.flatMap((p) => evaluate(s, p.PolicyDocument.Statement) as Statement[]);
}

function trustStatements(s: Stack, roleId: string): Statement[] {
  const document = s.template.Resources[roleId]?.Properties?.['AssumeRolePolicyDocument'] as { Statement: unknown[] };
  return evaluate(s, document.Statement) as Statement[];
}

describe('the templates, parsed', () => {
  it('are the four deployment templates', () => {
    expect(readdirSync(TEMPLATE_DIR).sort()).toEqual(NAMES);
  });

  it('the parser reads every short form, in scalar, sequence and mapping form, and refuses an unknown tag', () => {
    const t = parseTemplate(
      [
        'A: !Ref P',
        'B: !GetAtt R.Arn',
        'C: !GetAtt [R, Arn]',
        'D: !Sub "x-${P}"',
        'E: !Sub ["${a}", { a: !Ref P }]',
        'F: !If [Cond, !Join [",", [a, b]], !Ref AWS::NoValue]',
        'G: !Base64 { "Fn::Sub": "x" }',
        'H: !Select [0, !Split [",", !ImportValue Other]]',
        'I: !Not [!Equals [!Ref P, ""]]',
        'J: !Cidr [!GetAZs "", 6, 5]',
        'K: !And [!Condition C1, !Or [!Condition C2, !Condition C3]]',
        'L: !FindInMap [M, K1, K2]',
      ].join('\n'),
    ) as unknown as Record<string, unknown>;
    expect(t).toEqual({
      A: { Ref: 'P' },
      B: { 'Fn::GetAtt': ['R', 'Arn'] },
      C: { 'Fn::GetAtt': ['R', 'Arn'] },
      D: { 'Fn::Sub': 'x-${P}' },
      E: { 'Fn::Sub': ['${a}', { a: { Ref: 'P' } }] },
      F: { 'Fn::If': ['Cond', { 'Fn::Join': [',', ['a', 'b']] }, { Ref: 'AWS::NoValue' }] },
      G: { 'Fn::Base64': { 'Fn::Sub': 'x' } },
      H: { 'Fn::Select': [0, { 'Fn::Split': [',', { 'Fn::ImportValue': 'Other' }] }] },
      I: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'P' }, ''] }] },
      J: { 'Fn::Cidr': [{ 'Fn::GetAZs': '' }, 6, 5] },
      K: { 'Fn::And': [{ Condition: 'C1' }, { 'Fn::Or': [{ Condition: 'C2' }, { Condition: 'C3' }] }] },
      L: { 'Fn::FindInMap': ['M', 'K1', 'K2'] },
    });
    expect(() => parseTemplate('A: !Reff P')).toThrow(/Reff/);
  });

  for (const name of NAMES) {
    describe(name, () => {
      const t = templates[name] as Template;
      const parameters = new Set(Object.keys(t.Parameters ?? {}));
      const resources = new Set(Object.keys(t.Resources));
      const conditions = new Set(Object.keys(t.Conditions ?? {}));

      it('is a described 2010-09-09 template whose resources are AWS types with properties', () => {
        expect(t.AWSTemplateFormatVersion).toBe('2010-09-09');
        expect(t.Description.length).toBeGreaterThan(40);
        for (const [id, resource] of Object.entries(t.Resources)) {
          expect(resource.Type, id).toMatch(/^AWS::[A-Za-z0-9]+::[A-Za-z0-9]+$/);
          expect(typeof resource.Properties, id).toBe('object');
        }
      });

      it('every Ref, GetAtt, Sub variable, condition and DependsOn names something that exists', () => {
        const problems: string[] = [];
        for (const [path, value] of walk({ Conditions: t.Conditions, Resources: t.Resources, Outputs: t.Outputs })) {
          if (typeof value !== 'object' || value === null || Array.isArray(value)) continue;
          const fn = value as Record<string, unknown>;
          if (
            typeof fn['Ref'] === 'string' &&
            !parameters.has(fn['Ref']) &&
            !resources.has(fn['Ref']) &&
            !PSEUDO_PARAMETERS.includes(fn['Ref'])
          )
            problems.push(`${path}: Ref ${fn['Ref']}`);
          if (Array.isArray(fn['Fn::GetAtt']) && !resources.has(String(fn['Fn::GetAtt'][0])))
            problems.push(`${path}: GetAtt ${String(fn['Fn::GetAtt'][0])}`);
          const sub = fn['Fn::Sub'];
          const [text, vars] =
            typeof sub === 'string' ? [sub, {}] : Array.isArray(sub) ? (sub as [string, Record<string, unknown>]) : [undefined, {}];
          for (const variable of text === undefined ? [] : subVariables(text)) {
            const head = variable.split('.')[0] ?? '';
            if (!(variable in vars) && !parameters.has(variable) && !PSEUDO_PARAMETERS.includes(variable) && !resources.has(head))
              problems.push(`${path}: \${${variable}}`);
          }
          if (Array.isArray(fn['Fn::If']) && !conditions.has(String(fn['Fn::If'][0])))
            problems.push(`${path}: If ${String(fn['Fn::If'][0])}`);
          // `{ Condition: name }` alone (in Fn::And/Or/Not); a Step Functions Choice rule has one beside `Next`.
          if (Object.keys(fn).length === 1 && typeof fn['Condition'] === 'string' && !conditions.has(fn['Condition']))
            problems.push(`${path}: Condition ${fn['Condition']}`);
        }
        for (const [id, resource] of Object.entries(t.Resources)) {
          for (const dependency of asList(resource.DependsOn))
            if (!resources.has(dependency)) problems.push(`${id}: DependsOn ${dependency}`);
        }
        expect(problems).toEqual([]);
      });

      it('every parameter is used', () => {
        const text = JSON.stringify({ Conditions: t.Conditions, Resources: t.Resources, Outputs: t.Outputs });
        for (const p of parameters) expect(text.includes(`"Ref":"${p}"`) || text.includes(`\${${p}}`), p).toBe(true);
      });

      it('names every IAM action in full: none is wildcarded', () => {
        const actions = [...walk(t.Resources)].filter(([path]) => /\.Action(\[\d+\])?$/.test(path)).map(([, v]) => v);
        for (const action of actions.flat()) expect(action).toMatch(/^[a-z0-9-]+:[A-Za-z]+$/);
      });
    });
  }
});

describe('IAM policies against what the hub did on the wire', { timeout: 30_000 }, () => {
  const h = useSimulator();
  const state = demoState();
  let byPrincipal: Record<string, Record<string, number>> = {};

  it('an end-to-end pass (a dry run, then the writes) records who called what', async () => {
    h.sim.control.resetCounters();
    const ports = createAwsPorts({ hub: state.hub, maxAttempts: 1 });
    for (const dryRun of [true, false]) {
      const report = await reconcile(state, ports, { passId: `iam-${dryRun}`, dryRun });
      expect(report.counts.failed + report.counts.blocked).toBe(0);
    }
    byPrincipal = h.sim.control.principals();
    expect(Object.keys(byPrincipal)).toContain(h.sim.world.hub.arn);
  });

  const accounts = (): string[] => [...new Set(state.clusters.map((c) => c.account))];
  const spokeArn = (account: string): string => `arn:aws:iam::${account}:role/${state.hub.roleName}`;

  it('the hub used its own credentials only to enter the accounts, and each account only through its spoke role', () => {
    expect(Object.keys(byPrincipal).sort()).toEqual([...accounts().map(spokeArn), h.sim.world.hub.arn].sort());
    expect(Object.keys(byPrincipal[h.sim.world.hub.arn] ?? {})).toEqual(['sts:AssumeRole']);
  });

  it('spoke-role.yaml allows exactly the actions the spoke sessions made, on every resource of the world', () => {
    const usedAnywhere = new Set(accounts().flatMap((account) => Object.keys(byPrincipal[spokeArn(account)] ?? {})));
    for (const account of accounts()) {
      const s = stack('spoke-role.yaml', account, { HubAccountId: HUB_ACCOUNT, ExternalId: state.hub.externalId ?? '' });
      expect(evaluate(s, s.template.Resources['SpokeRole']?.Properties?.['RoleName'])).toBe(state.hub.roleName);
      const statements = policyStatements(s, 'SpokeRole');
      const granted = new Set(statements.flatMap((st) => asList(st.Action)));
      // Exactly: an account without Fargate profiles never needs DescribeFargateProfile, others do.
      expect([...granted].sort(), account).toEqual([...usedAnywhere].sort());
      for (const action of Object.keys(byPrincipal[spokeArn(account)] ?? {})) expect(granted.has(action), action).toBe(true);
      // Every resource those actions touch in this account.
      const resources: [string, string][] = [['iam:ListRoles', '*']];
      for (const ref of h.sim.control.clusters().filter((c) => c.account === account)) {
        const cluster = h.sim.world.cluster(ref.account, ref.region, ref.cluster);
        const base = `arn:aws:eks:${ref.region}:${account}`;
        for (const action of ['eks:DescribeCluster', 'eks:ListNodegroups', 'eks:ListFargateProfiles'])
          resources.push([action, `${base}:cluster/${ref.cluster}`]);
        for (const ng of cluster.nodegroups.values())
          resources.push(['eks:DescribeNodegroup', `${base}:nodegroup/${ref.cluster}/${ng.name}/${cluster.id.slice(0, 8)}`]);
        for (const fp of cluster.fargateProfiles.values())
          resources.push(['eks:DescribeFargateProfile', `${base}:fargateprofile/${ref.cluster}/${fp.name}/${cluster.id.slice(0, 8)}`]);
      }
      for (const [action, resource] of resources) expect(allows(statements, action, resource), `${action} on ${resource}`).toBe(true);
      // ...and nothing of another account.
      expect(allows(statements, 'eks:DescribeCluster', `arn:aws:eks:eu-west-1:${HUB_ACCOUNT}:cluster/x`)).toBe(false);
    }
  });

  it("spoke-role.yaml's trust names only the hub's role, with the ExternalId", () => {
    const s = stack('spoke-role.yaml', '111122223333', {
      HubAccountId: HUB_ACCOUNT,
      HubRoleName: 'eks-auth-hub',
      ExternalId: 'the-external-id',
    });
    expect(trustStatements(s, 'SpokeRole')).toEqual([
      {
        Sid: 'TheHubOnly',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${HUB_ACCOUNT}:role/eks-auth-hub` },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'sts:ExternalId': 'the-external-id' } },
      },
    ]);
  });

  for (const [name, roleId, service] of [
    ['hub-lambda.yaml', 'HubRole', 'lambda.amazonaws.com'],
    ['hub-ecs.yaml', 'TaskRole', 'ecs-tasks.amazonaws.com'],
  ] as const) {
    it(`${name}: the hub's role (${service}) allows what the hub did with its own credentials, on every spoke role, and the recovery role when set`, () => {
      const base = { CodeBucket: 'b', CodeKey: 'k', ImageUri: 'i', VpcId: 'vpc-1', SubnetIds: 'subnet-1' };
      const plain = stack(name, HUB_ACCOUNT, base);
      expect(evaluate(plain, plain.template.Resources[roleId]?.Properties?.['RoleName'])).toBe('eks-auth-hub');
      expect(trustStatements(plain, roleId).map((st) => st.Principal)).toEqual([{ Service: service }]);
      const statements = policyStatements(plain, roleId);
      for (const action of Object.keys(byPrincipal[h.sim.world.hub.arn] ?? {})) {
        for (const account of accounts())
          expect(allows(statements, action, spokeArn(account)), `${action} ${spokeArn(account)}`).toBe(true);
      }
      expect(condition(plain, 'HasRecoveryRole')).toBe(false);
      expect(allows(statements, 'sts:AssumeRole', 'arn:aws:iam::111122223333:role/terraform')).toBe(false);
      const withRecovery = stack(name, HUB_ACCOUNT, { ...base, RecoveryRoleName: 'terraform' });
      expect(allows(policyStatements(withRecovery, roleId), 'sts:AssumeRole', 'arn:aws:iam::111122223333:role/terraform')).toBe(true);
    });
  }

  it('hub-ecs.yaml opens the port the image exposes and serves metrics on, for Prometheus', () => {
    const t = templates['hub-ecs.yaml'] as Template;
    const container =
      (t.Resources['TaskDefinition']?.Properties?.['ContainerDefinitions'] as Record<string, unknown>[] | undefined)?.[0] ?? {};
    expect(container['PortMappings']).toEqual([{ Name: 'metrics', ContainerPort: 9090, Protocol: 'tcp' }]);
    expect(container['Command']).toEqual(['--config', '/config/hub.yaml', '--listen', '0.0.0.0:9090']);
    const ingress = t.Resources['SecurityGroup']?.Properties?.['SecurityGroupIngress'] as Record<string, unknown>[];
    expect(ingress).toMatchObject([{ IpProtocol: 'tcp', FromPort: 9090, ToPort: 9090, CidrIp: { Ref: 'PrometheusCidr' } }]);
    expect(t.Resources['Service']?.Properties?.['DeploymentConfiguration']).toMatchObject({
      MinimumHealthyPercent: 0,
      MaximumPercent: 100,
    });
  });

  it('hub-lambda.yaml runs the bundle the build makes, with its log group and schedule', () => {
    const t = templates['hub-lambda.yaml'] as Template;
    const fn = t.Resources['Function']?.Properties ?? {};
    expect(fn['Handler']).toBe('index.handler');
    expect(String(evaluate(stack('hub-lambda.yaml', HUB_ACCOUNT), fn['Runtime']))).toMatch(/^nodejs(2[02468])\.x$/);
    expect(t.Resources['LogGroup']?.Type).toBe('AWS::Logs::LogGroup');
    expect(t.Resources['ScheduleRule']?.Properties?.['Targets']).toEqual([
      { Id: 'eks-auth-hub', Arn: { 'Fn::GetAtt': ['Function', 'Arn'] }, Input: '{}' },
    ]);
    expect(condition(stack('hub-lambda.yaml', HUB_ACCOUNT, { Schedule: 'none' }), 'HasSchedule')).toBe(false);
  });
});
