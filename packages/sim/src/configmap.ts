/**
 * ConfigMaps as the Kubernetes API server keeps them: what a request body may hold (decoding), the
 * validation of a create and of an update (`ValidateConfigMap`, `ValidateConfigMapUpdate` in
 * kubernetes/kubernetes), and the object a GET returns.
 *
 * - Data keys and binaryData keys match `[-._a-zA-Z0-9]+` (at most 253 characters, not `.` or `..`,
 *   not starting with `..`); a key may not be in both.
 * - The values (data strings in UTF-8 bytes, binaryData decoded bytes) total at most 1 MiB.
 * - binaryData values are standard base64 with padding; anything else cannot be decoded (400).
 * - `immutable: true` freezes data, binaryData and the flag itself; metadata may still change.
 * - Metadata the server does not interpret (ownerReferences, finalizers, managedFields) is stored from
 *   the body and returned. An update without managedFields keeps the stored ones; `[{}]` clears them.
 * - Deleting an object that has finalizers only marks it (deletionTimestamp); it goes when an update
 *   removes the last finalizer.
 */

export const MAX_CONFIGMAP_DATA_BYTES = 1024 * 1024;
/** Total size of a object's annotations, keys and values. */
export const MAX_ANNOTATIONS_BYTES = 256 * 1024;
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const MAX_CONFIG_KEY_LENGTH = 253;
const QUALIFIED_NAME =
  /^(?:[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export interface OwnerReference {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
  readonly controller?: boolean;
  readonly blockOwnerDeletion?: boolean;
}

export type ManagedFieldsEntry = Readonly<Record<string, unknown>>;

/** What a write (or a planted object) sets: everything of a ConfigMap except what the server assigns. */
export interface ConfigMapContent {
  readonly data: Readonly<Record<string, string>>;
  /** Standard base64 of each value. */
  readonly binaryData?: Readonly<Record<string, string>>;
  /** Absent: not set (the API's nil); false is kept as false. */
  readonly immutable?: boolean | undefined;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly ownerReferences?: readonly OwnerReference[];
  readonly finalizers?: readonly string[];
  readonly managedFields?: readonly ManagedFieldsEntry[];
}

/**
 * A stored ConfigMap. Never changed in place once stored, except by a delete that marks it (a new
 * resourceVersion and a deletionTimestamp): every other write stores a new object.
 */
export interface ConfigMapObject {
  name: string;
  namespace: string;
  uid: string;
  resourceVersion: string;
  creationTimestamp: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  data: Record<string, string>;
  /** Canonical standard base64 of each value. */
  binaryData: Record<string, string>;
  immutable?: boolean;
  ownerReferences: OwnerReference[];
  finalizers: string[];
  managedFields: ManagedFieldsEntry[];
  /** Set when a delete waits for finalizers. */
  deletionTimestamp?: string;
}

/** The object as a GET returns it (empty maps and lists left out, as the API server's JSON does). */
export function renderConfigMap(object: ConfigMapObject): Record<string, unknown> {
  const nonEmpty = <T extends object>(key: string, value: T): Record<string, T> => (Object.keys(value).length > 0 ? { [key]: value } : {});
  return {
    kind: 'ConfigMap',
    apiVersion: 'v1',
    metadata: {
      name: object.name,
      namespace: object.namespace,
      uid: object.uid,
      resourceVersion: object.resourceVersion,
      creationTimestamp: object.creationTimestamp,
      ...(object.deletionTimestamp === undefined ? {} : { deletionTimestamp: object.deletionTimestamp, deletionGracePeriodSeconds: 0 }),
      ...nonEmpty('labels', object.labels),
      ...nonEmpty('annotations', object.annotations),
      ...nonEmpty('ownerReferences', object.ownerReferences),
      ...nonEmpty('finalizers', object.finalizers),
      ...nonEmpty('managedFields', object.managedFields),
    },
    ...(object.immutable === undefined ? {} : { immutable: object.immutable }),
    ...nonEmpty('data', object.data),
    ...nonEmpty('binaryData', object.binaryData),
  };
}

// ---------------------------------------------------------------------------------------------
// Decoding: what the API server's JSON decoder refuses before validation (HTTP 400).

/** A body the API server cannot turn into a ConfigMap; the message is what follows "cannot be handled as a ConfigMap: ". */
export class ConfigMapDecodeError extends Error {
  constructor(message: string) {
    super(`ConfigMap in version "v1" cannot be handled as a ConfigMap: ${message}`);
    this.name = 'ConfigMapDecodeError';
  }
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value === 'object' ? 'object' : typeof value;
}

function typeError(value: unknown, field: string, goType: string): ConfigMapDecodeError {
  return new ConfigMapDecodeError(`json: cannot unmarshal ${jsonType(value)} into Go struct field ${field} of type ${goType}`);
}

function asObject(value: unknown, field: string, goType: string): Record<string, unknown> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw typeError(value, field, goType);
  return value as Record<string, unknown>;
}

function stringMap(value: unknown, field: string): Record<string, string> {
  const object = asObject(value, field, 'map[string]string') ?? {};
  for (const v of Object.values(object)) if (typeof v !== 'string') throw typeError(v, field, 'string');
  return { ...(object as Record<string, string>) };
}

/** Where a binaryData value stops being standard base64, or undefined when it decodes. */
export function base64Problem(value: string): string | undefined {
  // The decoder skips line breaks, as Go's does.
  const text = value.replace(/[\r\n]/g, '');
  if (BASE64.test(text)) return undefined;
  // The first character outside the alphabet, else the start of the incomplete last group.
  const bad = /[^A-Za-z0-9+/=]|=(?=.*[^=])/.exec(text);
  return `illegal base64 data at input byte ${bad !== null ? bad.index : text.length - (text.length % 4)}`;
}

function canonicalBase64(value: string): string {
  return Buffer.from(value.replace(/[\r\n]/g, ''), 'base64').toString('base64');
}

function ownerReferences(value: unknown): OwnerReference[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw typeError(value, 'ObjectMeta.metadata.ownerReferences', '[]v1.OwnerReference');
  return value.map((item: unknown) => {
    const ref = asObject(item, 'ObjectMeta.metadata.ownerReferences', 'v1.OwnerReference') ?? {};
    const text = (key: string): string => {
      const v = ref[key];
      if (v === undefined || v === null) return '';
      if (typeof v !== 'string') throw typeError(v, `OwnerReference.metadata.ownerReferences.${key}`, 'string');
      return v;
    };
    const flag = (key: string): { [k: string]: boolean } => {
      const v = ref[key];
      if (v === undefined || v === null) return {};
      if (typeof v !== 'boolean') throw typeError(v, `OwnerReference.metadata.ownerReferences.${key}`, 'bool');
      return { [key]: v };
    };
    return {
      apiVersion: text('apiVersion'),
      kind: text('kind'),
      name: text('name'),
      uid: text('uid'),
      ...flag('controller'),
      ...flag('blockOwnerDeletion'),
    };
  });
}

/** The writable content of a request body (a ConfigMap in JSON), decoded as the API server's decoder would. */
export function decodeConfigMap(body: Record<string, unknown>): ConfigMapContent {
  const meta = asObject(body['metadata'], 'ConfigMap.metadata', 'v1.ObjectMeta') ?? {};
  const binary = stringMap(body['binaryData'], 'ConfigMap.binaryData');
  for (const value of Object.values(binary)) {
    const problem = base64Problem(value);
    if (problem !== undefined) throw new ConfigMapDecodeError(problem);
  }
  const immutable = body['immutable'];
  if (immutable !== undefined && immutable !== null && typeof immutable !== 'boolean')
    throw typeError(immutable, 'ConfigMap.immutable', 'bool');
  const finalizers = meta['finalizers'] ?? [];
  if (!Array.isArray(finalizers) || !finalizers.every((f): f is string => typeof f === 'string')) {
    throw typeError(finalizers, 'ObjectMeta.metadata.finalizers', '[]string');
  }
  const managed = meta['managedFields'] ?? [];
  if (!Array.isArray(managed)) throw typeError(managed, 'ObjectMeta.metadata.managedFields', '[]v1.ManagedFieldsEntry');
  return {
    data: stringMap(body['data'], 'ConfigMap.data'),
    binaryData: Object.fromEntries(Object.entries(binary).map(([k, v]) => [k, canonicalBase64(v)])),
    ...(typeof immutable === 'boolean' ? { immutable } : {}),
    labels: stringMap(meta['labels'], 'ObjectMeta.metadata.labels'),
    annotations: stringMap(meta['annotations'], 'ObjectMeta.metadata.annotations'),
    ownerReferences: ownerReferences(meta['ownerReferences']),
    finalizers: [...finalizers],
    managedFields: managed.map((entry: unknown) => ({
      ...(asObject(entry, 'ObjectMeta.metadata.managedFields', 'v1.ManagedFieldsEntry') ?? {}),
    })),
  };
}

// ---------------------------------------------------------------------------------------------
// Validation: what the API server refuses as 422 Invalid.

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
