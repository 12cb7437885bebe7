/**
 * Reading the CloudFormation templates under deploy/cloudformation/ as CloudFormation does: YAML with
 * the short forms of the intrinsic functions (`!Ref`, `!Sub`, `!GetAtt`, … in scalar, sequence and
 * mapping form) turned into their long forms (`{ Ref: … }`, `{ "Fn::Sub": … }`), and a small evaluator
 * for the parts the tests need: conditions, `Ref`, `Fn::Sub`, `Fn::If`, `Fn::Join` over parameter
 * values and pseudo parameters.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot as repo } from '@eks-auth-hub/testing';
import { type CollectionTag, parseDocument, type ScalarTag, type YAMLMap, type YAMLSeq } from 'yaml';

export const TEMPLATE_DIR = join(repo, 'deploy', 'cloudformation');

const FUNCTIONS = [
  'Sub',
  'GetAtt',
  'Join',
  'If',
  'Equals',
  'Select',
  'Split',
  'ImportValue',
  'FindInMap',
  'Not',
  'And',
  'Or',
  'Base64',
  'GetAZs',
  'Cidr',
] as const;

function longForm(name: string, value: unknown): Record<string, unknown> {
  if (name === 'Ref') return { Ref: value };
  if (name === 'Condition') return { Condition: value };
  if (name === 'GetAtt' && typeof value === 'string') {
    const dot = value.indexOf('.');
    return { 'Fn::GetAtt': dot < 0 ? [value] : [value.slice(0, dot), value.slice(dot + 1)] };
  }
  return { [`Fn::${name}`]: value };
}

/** Every short-form tag, in each of its node forms. */
export const CFN_TAGS: (ScalarTag | CollectionTag)[] = ['Ref', 'Condition', ...FUNCTIONS].flatMap((name) => [
  { tag: `!${name}`, resolve: (value: string): unknown => longForm(name, value) } satisfies ScalarTag,
  {
    tag: `!${name}`,
    collection: 'seq',
    resolve: (value: YAMLSeq.Parsed | YAMLMap.Parsed): unknown => longForm(name, value.toJSON()),
  } satisfies CollectionTag,
  {
    tag: `!${name}`,
    collection: 'map',
    resolve: (value: YAMLSeq.Parsed | YAMLMap.Parsed): unknown => longForm(name, value.toJSON()),
  } satisfies CollectionTag,
]);

export interface Template {
  readonly AWSTemplateFormatVersion: string;
  readonly Description: string;
  readonly Parameters?: Record<string, { Type: string; Default?: string | number; AllowedValues?: unknown[]; AllowedPattern?: string }>;
  readonly Conditions?: Record<string, unknown>;
  readonly Resources: Record<
    string,
    { Type: string; Condition?: string; DependsOn?: string | string[]; Properties?: Record<string, unknown> }
  >;
  readonly Outputs?: Record<string, { Value: unknown; Export?: unknown }>;
}

/** Parses a template text; YAML errors (an unknown tag among them) are thrown with their place. */
export function parseTemplate(text: string, file = 'template.yaml'): Template {
  const doc = parseDocument(text, { customTags: CFN_TAGS, prettyErrors: true });
  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length > 0) throw new Error(`${file}: ${problems.map((e) => e.message).join('\n')}`);
  return doc.toJS() as Template;
}

export function loadTemplate(name: string): Template {
  return parseTemplate(readFileSync(join(TEMPLATE_DIR, name), 'utf8'), name);
}

export const PSEUDO_PARAMETERS = [
  'AWS::AccountId',
  'AWS::NotificationARNs',
  'AWS::NoValue',
  'AWS::Partition',
  'AWS::Region',
  'AWS::StackId',
  'AWS::StackName',
  'AWS::URLSuffix',
];

/** Names a `${…}` of an `Fn::Sub` string refers to (literals `${!…}` excluded). */
export function subVariables(text: string): string[] {
  return [...text.matchAll(/\$\{([^!}][^}]*)\}/g)].map((m) => m[1] ?? '');
}

/** Every value in a tree, with its path, depth first. */
export function* walk(value: unknown, path = ''): Generator<[string, unknown]> {
  yield [path, value];
  if (Array.isArray(value)) for (const [i, v] of value.entries()) yield* walk(v, `${path}[${i}]`);
  else if (typeof value === 'object' && value !== null)
    for (const [k, v] of Object.entries(value)) yield* walk(v, path === '' ? k : `${path}.${k}`);
}

export interface Stack {
  readonly template: Template;
  /** Parameter values given; defaults fill the rest. */
  readonly parameters: Record<string, string>;
  readonly accountId: string;
  readonly region: string;
  readonly partition: string;
}

function parameter(stack: Stack, name: string): string {
  const given = stack.parameters[name];
  if (given !== undefined) return given;
  const pseudo: Record<string, string> = {
    'AWS::AccountId': stack.accountId,
    'AWS::Region': stack.region,
    'AWS::Partition': stack.partition,
    'AWS::StackName': 'stack',
  };
  if (pseudo[name] !== undefined) return pseudo[name];
  // A resource or one of its attributes stands for itself: `<LogGroup.Arn>`.
  if (stack.template.Resources[name.split('.')[0] ?? ''] !== undefined) return `<${name}>`;
  const declared = stack.template.Parameters?.[name];
  if (declared === undefined) throw new Error(`Ref ${name}: no such parameter or resource`);
  if (declared.Default === undefined) throw new Error(`parameter ${name} has no default and no value was given`);
  return String(declared.Default);
}

export function condition(stack: Stack, name: string): boolean {
  const definition = stack.template.Conditions?.[name];
  if (definition === undefined) throw new Error(`no condition ${name}`);
  return truth(stack, definition);
}

function truth(stack: Stack, value: unknown): boolean {
  const fn = value as Record<string, unknown[]>;
  if ('Fn::Equals' in fn) return String(evaluate(stack, fn['Fn::Equals']?.[0])) === String(evaluate(stack, fn['Fn::Equals']?.[1]));
  if ('Fn::Not' in fn) return !truth(stack, fn['Fn::Not']?.[0]);
  if ('Fn::And' in fn) return (fn['Fn::And'] ?? []).every((v) => truth(stack, v));
  if ('Fn::Or' in fn) return (fn['Fn::Or'] ?? []).some((v) => truth(stack, v));
  if ('Condition' in fn) return condition(stack, String(fn['Condition']));
  throw new Error(`not a condition: ${JSON.stringify(value)}`);
}

/** The value CloudFormation would give, for parameters, pseudo parameters and string functions. */
export function evaluate(stack: Stack, value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => evaluate(stack, v));
  if (typeof value !== 'object' || value === null) return value;
  const fn = value as Record<string, unknown>;
  if ('Ref' in fn) return parameter(stack, String(fn['Ref']));
  if ('Fn::Sub' in fn) {
    const [text, vars] = typeof fn['Fn::Sub'] === 'string' ? [fn['Fn::Sub'], {}] : (fn['Fn::Sub'] as [string, Record<string, unknown>]);
    return text.replace(/\$\{([^!}][^}]*)\}/g, (_m, name: string) =>
      name in vars ? String(evaluate(stack, vars[name])) : parameter(stack, name),
    );
  }
  if ('Fn::If' in fn) {
    const [name, yes, no] = fn['Fn::If'] as [string, unknown, unknown];
    return evaluate(stack, condition(stack, name) ? yes : no);
  }
  if ('Fn::Join' in fn) {
    const [separator, parts] = fn['Fn::Join'] as [string, unknown[]];
    return (evaluate(stack, parts) as unknown[]).map(String).join(separator);
  }
  const keys = Object.keys(fn);
  if (keys.length === 1 && keys[0]?.startsWith('Fn::')) throw new Error(`${keys[0]} is not evaluated here`);
  return Object.fromEntries(Object.entries(fn).map(([k, v]) => [k, evaluate(stack, v)]));
}

export interface Statement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal?: Record<string, string | string[]>;
  readonly Action: string | string[];
  readonly Resource?: string | string[];
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}

export const asList = <T>(value: T | readonly T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? [...(value as T[])] : [value as T];

/** Whether an IAM pattern (`*` any run, `?` one character) matches a value: actions without case, ARNs with it. */
export function iamMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`, ignoreCase ? 'i' : '').test(value);
}

/** Whether Allow statements without conditions allow `action` on `resource` (no Deny is used in these templates). */
export function allows(statements: readonly Statement[], action: string, resource: string): boolean {
  return statements.some(
    (s) =>
      s.Effect === 'Allow' &&
      asList(s.Action).some((a) => iamMatch(a, action, true)) &&
      asList(s.Resource).some((r) => iamMatch(r, resource)),
  );
}
