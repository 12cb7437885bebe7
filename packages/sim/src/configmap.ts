/**
 * ConfigMaps as the Kubernetes API server keeps them: the stored object and the object a GET returns.
 * What a request body may hold (decoding) is `configmap-decode.ts`; the validation of a create and of
 * an update (`ValidateConfigMap`, `ValidateConfigMapUpdate` in kubernetes/kubernetes) is
 * `configmap-validate.ts`.
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
