/** The help text: `eks-auth-hub --help`, and after every usage error. */
export const USAGE = `Usage: eks-auth-hub <command> [options]

Commands:
  validate --config FILE   check a desired-state file offline; prints a summary or every problem
  plan --config FILE [--cluster NAME... | --shard I/N] [--output text|json] [--fail-on-unresolved]
                           read every cluster and show what a pass would change (writes nothing);
                           exit 0: nothing to change, 2: changes pending, 1: a cluster blocked or failed,
                           3: with --fail-on-unresolved, a permission set has no role in an account
  apply --config FILE [--cluster NAME... | --shard I/N] [--output text|json] [--allow-repair] [--fail-on-unresolved]
                           one pass that writes; exit 0 when every cluster is unchanged or applied;
                           --shard 2/8: only the accounts of shard 2 of 8 (numbered from 1)
  history --config FILE --cluster NAME
                           list the kept versions of the cluster's aws-auth (1 = the last replaced)
  rollback --config FILE --cluster NAME [--to N]
                           put back version N (default 1) through the guard and access verification
  run --config FILE [--listen HOST:PORT] [--shard I/N]
                           the service: a pass now and every hub.interval; serves /metrics, /healthz,
                           /readyz, /status and a status page (default listen 0.0.0.0:9090);
                           --shard 2/8: only the accounts of shard 2 of 8, its metrics labelled shard="2/8"
  token --cluster NAME --region REGION [--role-arn ARN [--external-id ID]]
                           print an ExecCredential with a cluster token, like \`aws eks get-token\`
  schema [--out FILE]      print (or write) the JSON Schema of the desired-state file

AWS endpoints, credentials and region come from the SDK's standard settings (AWS_REGION,
AWS_PROFILE, AWS_ENDPOINT_URL_STS/_IAM/_EKS, the ECS or Lambda role).

Options:
  -h, --help               show this help`;
