/** Decoding a ConfigMap request body: what the API server's JSON decoder refuses before validation (HTTP 400). */
import type { ConfigMapContent, OwnerReference } from './configmap.js';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

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
