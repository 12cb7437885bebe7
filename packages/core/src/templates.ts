/**
 * Username and group templates that the authenticator expands. Anything else between `{{` and `}}`
 * is left literally in the username by the authenticator, which is never what the author meant.
 */
import { describeChar, INVISIBLE_CHAR } from './printable.js';

export const TEMPLATE_VARIABLES = ['AccountID', 'SessionName', 'SessionNameRaw', 'AccessKeyID', 'EC2PrivateDNSName'] as const;
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];

const ALLOWED = new Set<string>(TEMPLATE_VARIABLES);

export const ALLOWED_TEMPLATES_TEXT = TEMPLATE_VARIABLES.map((v) => `{{${v}}}`).join(', ');

/**
 * Templates the authenticator makes from the session name. Only an assumed role's identity has one;
 * an IAM user's is empty, so in a mapUsers username {{SessionName}} and {{SessionNameRaw}} expand to
 * nothing and {{EC2PrivateDNSName}} (the name must be an instance ID) fails the login.
 */
export const SESSION_NAME_TEMPLATES: readonly TemplateVariable[] = ['SessionName', 'SessionNameRaw', 'EC2PrivateDNSName'];

/** The templates a mapUsers username may use. */
export const USER_TEMPLATES_TEXT = TEMPLATE_VARIABLES.filter((v) => !SESSION_NAME_TEMPLATES.includes(v))
  .map((v) => `{{${v}}}`)
  .join(', ');

/** Returns a reason when a mapUsers username uses a template made from the session name, which an IAM user has not. */
export function checkUserName(value: string): string | undefined {
  const used = SESSION_NAME_TEMPLATES.find((v) => value.includes(`{{${v}}}`));
  if (used === undefined) return undefined;
  return `username uses {{${used}}}, which the authenticator makes from the session name: only an assumed role has one, an IAM user's is empty; allowed templates for a user: ${USER_TEMPLATES_TEXT}`;
}

/** Returns a reason when `value` is not an acceptable username or group, else undefined. */
export function checkMappedName(value: string, what: 'username' | 'group'): string | undefined {
  if (value.length === 0) return `${what} must not be empty`;
  // Control and invisible characters (newlines, NUL, zero-width spaces, bidirectional overrides)
  // could break the YAML they are rendered into, or make two entries look equal while they differ.
  const bad = INVISIBLE_CHAR.exec(value);
  if (bad !== null) return `${what} contains ${describeChar(bad[0])}; only printable characters are allowed`;
  if (value.trim() !== value) return `${what} must not start or end with white space`;
  if (value.length > 256) return `${what} is longer than 256 characters`;
  // Scan the template markers: every `{{` must close with `}}` around an allowed variable, and no
  // stray `}}` may appear.
  let rest = value;
  for (;;) {
    const open = rest.indexOf('{{');
    const close = rest.indexOf('}}');
    if (open < 0) {
      if (close >= 0) return `${what} has "}}" without a matching "{{"; allowed templates: ${ALLOWED_TEMPLATES_TEXT}`;
      return undefined;
    }
    if (close >= 0 && close < open) {
      return `${what} has "}}" without a matching "{{"; allowed templates: ${ALLOWED_TEMPLATES_TEXT}`;
    }
    const end = rest.indexOf('}}', open + 2);
    if (end < 0) return `${what} has "{{" without a closing "}}"; allowed templates: ${ALLOWED_TEMPLATES_TEXT}`;
    const name = rest.slice(open + 2, end);
    if (!ALLOWED.has(name)) {
      return `${what} uses the unknown template {{${name}}}; allowed templates: ${ALLOWED_TEMPLATES_TEXT}`;
    }
    rest = rest.slice(end + 2);
  }
}
