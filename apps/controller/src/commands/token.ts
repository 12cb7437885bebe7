/** `token --cluster NAME --region REGION [--role-arn ARN [--external-id ID]]`: an ExecCredential with a cluster token, like `aws eks get-token`. */
import { isRegion } from '@eks-auth-hub/core';
import { EXIT_OK } from '../cli/exit-codes.js';
import type { CliIo } from '../cli/io.js';
import { parse } from '../cli/parse-args.js';
import { UsageError } from '../cli/usage-error.js';

export async function token(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parse(args, {
    cluster: { type: 'string' },
    region: { type: 'string' },
    'role-arn': { type: 'string' },
    'external-id': { type: 'string' },
  });
  if (values.cluster === undefined || values.region === undefined) throw new UsageError('token needs --cluster NAME and --region REGION');
  if (values['external-id'] !== undefined && values['role-arn'] === undefined) throw new UsageError('--external-id goes with --role-arn');
  if (!isRegion(values.region)) throw new UsageError(`--region ${values.region} is not an AWS region`);
  const { execCredential, mintClusterToken, tokenCredentials } = await import('@eks-auth-hub/aws');
  const credentials = await tokenCredentials({
    region: values.region,
    ...(values['role-arn'] === undefined ? {} : { roleArn: values['role-arn'] }),
    ...(values['external-id'] === undefined ? {} : { externalId: values['external-id'] }),
  });
  const minted = await mintClusterToken(credentials, values.cluster, values.region, new Date());
  io.stdout(JSON.stringify(execCredential(minted, execApiVersion(process.env['KUBERNETES_EXEC_INFO']))));
  return EXIT_OK;
}

/** The ExecCredential apiVersion kubectl asked for in KUBERNETES_EXEC_INFO (v1 or v1beta1). */
export function execApiVersion(info: string | undefined): string {
  const fallback = 'client.authentication.k8s.io/v1beta1';
  if (info === undefined || info === '') return fallback;
  try {
    const version = (JSON.parse(info) as { apiVersion?: unknown }).apiVersion;
    return version === 'client.authentication.k8s.io/v1' || version === 'client.authentication.k8s.io/v1beta1' ? version : fallback;
  } catch {
    return fallback;
  }
}
