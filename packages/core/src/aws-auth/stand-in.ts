/** A stand-in for a simple IAM ARN, so one item's reading or rendering serves every account. */
import type { MappingKind } from './read-mapping.js';

/**
 * An IAM ARN that YAML reads and the `yaml` package writes as itself, whatever its account and name:
 * IAM's own characters for names, no path, no space, no "#", never ": ". Such an ARN, in the first
 * line of an item, is inert text: any other such ARN in its place reads and renders the same way.
 * So an item is remembered with a stand-in for it, and one Identity Center role's entry, rendered and
 * read once, serves every account (their role names differ in the account and the suffix only).
 */
export const SIMPLE_ARN = /^arn:aws(?:-cn|-us-gov)?:iam::[0-9]{12}:(?:role|user)\/[A-Za-z0-9_+=,.@-]{1,128}$/;
export const STAND_IN: Readonly<Record<MappingKind, string>> = {
  role: 'arn:aws:iam::000000000000:role/eks-auth-hub-stand-in',
  user: 'arn:aws:iam::000000000000:user/eks-auth-hub-stand-in',
};
export const ITEM_HEAD: Readonly<Record<MappingKind, string>> = { role: '- rolearn: ', user: '- userarn: ' };
