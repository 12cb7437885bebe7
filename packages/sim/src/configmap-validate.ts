/** Validating a ConfigMap create or update: what the API server refuses as 422 Invalid (limits, keys, metadata, immutability). */
import type { ConfigMapContent, ConfigMapObject, ManagedFieldsEntry } from './configmap.js';

export const MAX_CONFIGMAP_DATA_BYTES = 1024 * 1024;
/** Total size of a object's annotations, keys and values. */
export const MAX_ANNOTATIONS_BYTES = 256 * 1024;
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const MAX_CONFIG_KEY_LENGTH = 253;
const QUALIFIED_NAME =
  /^(?:[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

export type CauseType = 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueTooLong' | 'FieldValueRequired';

/** One validation error, as apimachinery's field.Error. */
export interface FieldError {
  readonly type: CauseType;
  /** Path segments, e.g. ['data', 'mapRoles']. */
  readonly path: readonly string[];
  /** `data[mapRoles]`, `metadata.ownerReferences.uid`, `[]` for the whole object. */
  readonly field: string;
  /** The message without the field, e.g. `Forbidden: field is immutable when \`immutable\` is set`. */
  readonly body: string;
}

function invalid(path: readonly string[], field: string, value: string, detail: string): FieldError {
  return { type: 'FieldValueInvalid', path, field, body: `Invalid value: ${JSON.stringify(value)}: ${detail}` };
}

function forbidden(path: readonly string[], field: string, detail: string): FieldError {
  return { type: 'FieldValueForbidden', path, field, body: `Forbidden: ${detail}` };
}

function tooLong(path: readonly string[], field: string, max: number): FieldError {
  return { type: 'FieldValueTooLong', path, field, body: `Too long: must have at most ${max} bytes` };
}

/** The reasons a data or binaryData key is refused (IsConfigMapKey). */
export function configKeyProblems(key: string): string[] {
  const problems: string[] = [];
  if (key.length > MAX_CONFIG_KEY_LENGTH) problems.push(`must be no more than ${MAX_CONFIG_KEY_LENGTH} characters`);
  if (!CONFIG_KEY.test(key)) {
    problems.push(
      "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
    );
  }
  if (key === '.') problems.push("must not be '.'");
  else if (key === '..') problems.push("must not be '..'");
  else if (key.startsWith('..')) problems.push("must not start with '..'");
  return problems;
}

/** Decoded bytes of a (valid) standard base64 value. */
export function base64Bytes(value: string): number {
  const text = value.replace(/[\r\n]/g, '');
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  return (text.length / 4) * 3 - padding;
}

/** Bytes the size limit counts: data values in UTF-8 and binaryData values decoded (keys do not count). */
export function configMapDataBytes(content: Pick<ConfigMapContent, 'data' | 'binaryData'>): number {
  let size = 0;
  for (const value of Object.values(content.data)) size += Buffer.byteLength(value);
  for (const value of Object.values(content.binaryData ?? {})) size += base64Bytes(value);
  return size;
}

/** ValidateConfigMap: keys, the overlap of data and binaryData, the size limit, and the metadata the server checks. */
export function validateConfigMap(content: ConfigMapContent): FieldError[] {
  const errors: FieldError[] = [];
  const binary = content.binaryData ?? {};
  errors.push(...validateMetadata(content));
  for (const key of Object.keys(content.data)) {
    for (const problem of configKeyProblems(key)) errors.push(invalid(['data', key], `data[${key}]`, key, problem));
    if (Object.hasOwn(binary, key)) errors.push(invalid(['data', key], `data[${key}]`, key, 'duplicate of key present in binaryData'));
  }
  for (const key of Object.keys(binary)) {
    for (const problem of configKeyProblems(key)) errors.push(invalid(['binaryData', key], `binaryData[${key}]`, key, problem));
  }
  if (configMapDataBytes(content) > MAX_CONFIGMAP_DATA_BYTES) errors.push(tooLong([], '[]', MAX_CONFIGMAP_DATA_BYTES));
  return errors;
}

function validateMetadata(content: ConfigMapContent): FieldError[] {
  const errors: FieldError[] = [];
  let annotationBytes = 0;
  for (const [key, value] of Object.entries(content.annotations ?? {}))
    annotationBytes += Buffer.byteLength(key) + Buffer.byteLength(value);
  if (annotationBytes > MAX_ANNOTATIONS_BYTES)
    errors.push(tooLong(['metadata', 'annotations'], 'metadata.annotations', MAX_ANNOTATIONS_BYTES));
  const refs = content.ownerReferences ?? [];
  for (const ref of refs) {
    for (const key of ['apiVersion', 'kind', 'name', 'uid'] as const) {
      if (ref[key] === '') {
        const what = key === 'apiVersion' ? 'version' : key;
        errors.push(invalid(['metadata', 'ownerReferences', key], `metadata.ownerReferences.${key}`, '', `${what} must not be empty`));
      }
    }
  }
  const controllers = refs.filter((r) => r.controller === true);
  if (controllers.length > 1) {
    errors.push({
      type: 'FieldValueInvalid',
      path: ['metadata', 'ownerReferences'],
      field: 'metadata.ownerReferences',
      body: `Invalid value: []v1.OwnerReference{...}: Only one reference can have Controller set to true. Found "true" in references for ${controllers.map((c) => `${c.kind}/${c.name}`).join(' and ')}`,
    });
  }
  (content.finalizers ?? []).forEach((finalizer) => {
    if (!QUALIFIED_NAME.test(finalizer) || finalizer.length > 316) {
      errors.push(
        invalid(
          ['metadata', 'finalizers'],
          'metadata.finalizers',
          finalizer,
          "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        ),
      );
    }
  });
  return errors;
}

function sameMap(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

/** ValidateConfigMapUpdate: an immutable object keeps its data, binaryData and flag; a deleting one gets no new finalizers. */
export function validateConfigMapUpdate(next: ConfigMapContent, old: ConfigMapObject): FieldError[] {
  const errors: FieldError[] = [];
  if (old.deletionTimestamp !== undefined) {
    const added = (next.finalizers ?? []).filter((f) => !old.finalizers.includes(f));
    if (added.length > 0) {
      errors.push(
        forbidden(
          ['metadata', 'finalizers'],
          'metadata.finalizers',
          `no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(', ')}}`,
        ),
      );
    }
  }
  if (old.immutable === true) {
    const frozen = 'field is immutable when `immutable` is set';
    if (next.immutable !== true) errors.push(forbidden(['immutable'], 'immutable', frozen));
    if (!sameMap(next.data, old.data)) errors.push(forbidden(['data'], 'data', frozen));
    if (!sameMap(next.binaryData ?? {}, old.binaryData)) errors.push(forbidden(['binaryData'], 'binaryData', frozen));
  }
  errors.push(...validateConfigMap(next));
  return errors;
}

/**
 * The managedFields an update stores: the body's when it has some, none when it sends exactly one
 * empty entry, else the stored ones (so clients that do not know the field cannot drop it).
 */
export function managedFieldsAfterUpdate(
  sent: readonly ManagedFieldsEntry[] | undefined,
  stored: readonly ManagedFieldsEntry[],
): ManagedFieldsEntry[] {
  if (sent === undefined || sent.length === 0) return [...stored];
  if (sent.length === 1 && Object.keys(sent[0] ?? {}).length === 0) return [];
  return [...sent];
}

/** The 422 message: `ConfigMap "name" is invalid: <error>` or `... is invalid: [<error>, <error>]` (duplicates once). */
export function invalidMessage(name: string, errors: readonly FieldError[]): string {
  const texts = [...new Set(errors.map((e) => `${e.field}: ${e.body}`))];
  return `ConfigMap "${name}" is invalid: ${texts.length === 1 ? texts[0] : `[${texts.join(', ')}]`}`;
}
