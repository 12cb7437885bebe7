/** The aws-auth ConfigMap's data keys, and its size as the API server counts it. */

export const AWS_AUTH_KEYS = ['mapRoles', 'mapUsers', 'mapAccounts'] as const;
export type AwsAuthKey = (typeof AWS_AUTH_KEYS)[number];

/** The most a ConfigMap's values may hold (data in UTF-8 plus binaryData decoded); the API server refuses more. */
export const MAX_CONFIGMAP_DATA_BYTES = 1024 * 1024;

/** Bytes the API server's size limit counts: data values in UTF-8 and binaryData values decoded (keys do not count). */
export function configMapDataBytes(data: Readonly<Record<string, string>>, binaryData: Readonly<Record<string, string>> = {}): number {
  const encoder = new TextEncoder();
  let size = 0;
  for (const value of Object.values(data)) size += encoder.encode(value).length;
  for (const value of Object.values(binaryData)) {
    const text = value.replace(/[\r\n]/g, '');
    size += Math.floor((text.length * 3) / 4) - (text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0);
  }
  return size;
}
