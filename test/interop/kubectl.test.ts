/**
 * The real kubectl against a simulated cluster, configured from what `aws eks describe-cluster`
 * prints and authenticated the way users do it: the `aws eks get-token` exec plugin (and a
 * static token from it). Tokens for another cluster name end in "Unauthorized".
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type Credentials, Interop, PAYMENTS_PROD, parseOutput, REGION, repo, run, runOk, tool } from './harness.js';

const configMap = z.object({
  apiVersion: z.literal('v1'),
  kind: z.literal('ConfigMap'),
  metadata: z.object({ name: z.string(), namespace: z.string(), resourceVersion: z.string() }),
  data: z.record(z.string(), z.string()),
});
const describeCluster = z.object({ cluster: z.object({ endpoint: z.string(), certificateAuthority: z.object({ data: z.string() }) }) });

let interop: Interop;
let spoke: Credentials | undefined;
let cluster: { server: string; caData: string } | undefined;

beforeAll(async () => {
  interop = await Interop.start();
});

afterAll(async () => {
  await interop.close();
});

/** The spoke session and payments-prod's endpoint and CA, both obtained through the AWS CLI. */
async function setup(): Promise<{ credentials: Credentials; server: string; caData: string }> {
  spoke ??= await interop.assumeSpoke();
  if (cluster === undefined) {
    const stdout = await interop.awsOk(
      [
        'eks',
        'describe-cluster',
        '--name',
        'payments-prod',
        '--region',
        REGION,
        '--endpoint-url',
        interop.sim.awsEndpoint,
        '--output',
        'json',
      ],
      spoke,
    );
    const out = parseOutput(describeCluster, stdout, 'aws eks describe-cluster');
    cluster = { server: out.cluster.endpoint, caData: out.cluster.certificateAuthority.data };
  }
  return { credentials: spoke, ...cluster };
}

/** The user entry `aws eks update-kubeconfig` writes, with the CLI by absolute path. */
function execUser(clusterName: string): Record<string, unknown> {
  return {
    exec: {
      apiVersion: 'client.authentication.k8s.io/v1beta1',
      command: tool('aws'),
      args: ['--region', REGION, 'eks', 'get-token', '--cluster-name', clusterName, '--output', 'json'],
      interactiveMode: 'Never',
    },
  };
}

const GET_AWS_AUTH = ['get', 'configmap', 'aws-auth', '-n', 'kube-system', '-o', 'json', '--request-timeout=30s'];

function expectAwsAuth(stdout: string): void {
  const object = parseOutput(configMap, stdout, 'kubectl get configmap aws-auth');
  const live = interop.sim.control.readAwsAuth(PAYMENTS_PROD);
  expect(object.metadata).toMatchObject({ name: 'aws-auth', namespace: 'kube-system', resourceVersion: live?.resourceVersion });
  expect(object.data).toEqual(live?.data);
  expect(object.data['mapRoles']).toContain('rolearn: arn:aws:iam::111122223333:role/eks-auth-hub-spoke');
}

describe('kubectl', () => {
  it('reads kube-system/aws-auth through the aws eks get-token exec plugin', async () => {
    const { credentials, server, caData } = await setup();
    expect(server).toBe(interop.clusterEndpoint(PAYMENTS_PROD));
    const kubeconfig = interop.writeKubeconfig('exec', server, caData, execUser('payments-prod'));
    expectAwsAuth(await runOk(tool('kubectl'), GET_AWS_AUTH, interop.env(credentials, kubeconfig)));
  });

  it("reads kube-system/aws-auth through the hub's own token command as the exec plugin, given by absolute path", async () => {
    const { credentials, server, caData } = await setup();
    // kubectl runs the plugin in its own working directory (a temporary HOME here), outside the repository.
    const user = {
      exec: {
        apiVersion: 'client.authentication.k8s.io/v1beta1',
        command: process.execPath,
        args: [join(repo, 'apps', 'controller', 'dist', 'main.js'), 'token', '--cluster', 'payments-prod', '--region', REGION],
        interactiveMode: 'Never',
      },
    };
    const kubeconfig = interop.writeKubeconfig('hub-token', server, caData, user);
    expectAwsAuth(await runOk(tool('kubectl'), GET_AWS_AUTH, interop.env(credentials, kubeconfig)));
  });

  it('reads kube-system/aws-auth with a static token from aws eks get-token', async () => {
    const { credentials, server, caData } = await setup();
    const token = (await interop.getToken('payments-prod', credentials)).status.token;
    const kubeconfig = interop.writeKubeconfig('static', server, caData, { token });
    // no AWS credentials at all: kubectl has only the token
    expectAwsAuth(
      await runOk(tool('kubectl'), GET_AWS_AUTH, { PATH: process.env['PATH'] ?? '', HOME: interop.home, KUBECONFIG: kubeconfig }),
    );
  });

  it('fails with Unauthorized when the exec plugin makes tokens for another cluster', async () => {
    const { credentials, server, caData } = await setup();
    const kubeconfig = interop.writeKubeconfig('exec-other', server, caData, execUser('payments-staging'));
    const result = await run(tool('kubectl'), GET_AWS_AUTH, interop.env(credentials, kubeconfig));
    expect(result.code, result.stdout).not.toBe(0);
    expect(result.stderr).toMatch(/Unauthorized/);
    expect(result.stdout).toBe('');
  });

  it('fails with Unauthorized with a static token made for another cluster', async () => {
    const { credentials, server, caData } = await setup();
    const token = (await interop.getToken('payments-staging', credentials)).status.token;
    const kubeconfig = interop.writeKubeconfig('static-other', server, caData, { token });
    const result = await run(tool('kubectl'), GET_AWS_AUTH, {
      PATH: process.env['PATH'] ?? '',
      HOME: interop.home,
      KUBECONFIG: kubeconfig,
    });
    expect(result.code, result.stdout).not.toBe(0);
    expect(result.stderr).toMatch(/Unauthorized/);
  });

  it('does not trust the server without the CA from DescribeCluster (TLS is really verified)', async () => {
    const { credentials, server } = await setup();
    const token = (await interop.getToken('payments-prod', credentials)).status.token;
    const kubeconfig = interop.writeKubeconfig('no-ca', server, undefined, { token });
    const result = await run(tool('kubectl'), GET_AWS_AUTH, {
      PATH: process.env['PATH'] ?? '',
      HOME: interop.home,
      KUBECONFIG: kubeconfig,
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/certificate/i);
  });
});
