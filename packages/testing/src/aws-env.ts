/**
 * The AWS SDK's standard environment, pointed at a simulator and put back afterwards. Ambient
 * settings that would change which credentials, profile, region or endpoints the SDK uses are
 * cleared first, so a developer's own AWS set-up never leaks into a test.
 */

/** Ambient settings cleared before the simulator's environment is set. */
export const AMBIENT_AWS_SETTINGS: readonly string[] = [
  'AWS_PROFILE',
  'AWS_DEFAULT_PROFILE',
  'AWS_SESSION_TOKEN',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS',
  'AWS_DEFAULT_REGION',
];

/**
 * Clears the ambient AWS settings of process.env and sets `env` (a simulator's `env()`); returns the
 * function that restores every variable it touched to what it was (unset ones are unset again).
 */
export function pointAwsEnvAt(env: Readonly<Record<string, string>>): () => void {
  const saved = new Map<string, string | undefined>();
  for (const key of [...AMBIENT_AWS_SETTINGS, ...Object.keys(env)]) if (!saved.has(key)) saved.set(key, process.env[key]);
  for (const key of AMBIENT_AWS_SETTINGS) delete process.env[key];
  Object.assign(process.env, env);
  return () => {
    for (const [key, value] of saved) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
}

/** A child process's environment: this process's, without the ambient AWS settings, plus `env`. */
export function childAwsEnv(env: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const key of AMBIENT_AWS_SETTINGS) delete out[key];
  return { ...out, ...env };
}
