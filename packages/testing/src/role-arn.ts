/** Role ARNs as aws-auth must hold them. */

/** A role ARN without its path, as aws-auth must hold it. */
export function withoutPath(arn: string): string {
  return arn.replace(/^(arn:[^:]+:iam::[0-9]{12}:role\/)(?:.*\/)?([^/]+)$/, '$1$2');
}
