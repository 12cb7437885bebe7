/** The demo world and desired state (config/sim), loaded as the tests use them. */
import { readFileSync } from 'node:fs';
import { type DesiredState, loadDesiredState } from '@eks-auth-hub/core';
import { loadWorldFile, type SimClusterRef, type WorldFile } from '@eks-auth-hub/sim';
import { demoHubFile, demoWorldFile } from './paths.js';

export function demoWorld(): WorldFile {
  const loaded = loadWorldFile(readFileSync(demoWorldFile, 'utf8'), demoWorldFile);
  if (!loaded.ok) throw new Error(`the demo world does not load: ${JSON.stringify(loaded.issues)}`);
  return loaded.world;
}

export function demoHubText(): string {
  return readFileSync(demoHubFile, 'utf8');
}

/** A desired-state file's text, loaded (throws when it does not load). */
export function loadState(text: string, file = demoHubFile): DesiredState {
  const result = loadDesiredState(text, file);
  if (!result.ok) throw new Error(`the desired state does not load: ${result.error.message}`);
  return result.state;
}

/** The demo world's accounts (config/sim/demo-world.yaml). */
export const PAYMENTS = '111122223333';
export const ANALYTICS = '444455556666';
export const PLATFORM = '555566667777';

export interface Replace {
  readonly from: string;
  readonly to: string;
}

/** The demo desired state, with each `from` replaced by its `to` in the text (each `from` must occur). */
export function demoState(...replacements: readonly Replace[]): DesiredState {
  let text = demoHubText();
  for (const { from, to } of replacements) {
    if (!text.includes(from)) throw new Error(`the demo desired state holds no ${JSON.stringify(from)}`);
    text = text.replace(from, to);
  }
  return loadState(text, demoHubFile);
}

export function demoHub(): DesiredState {
  return loadState(demoHubText(), demoHubFile);
}

/** The simulator's reference to a cluster of the desired state, by name. */
export function refOf(state: DesiredState, name: string): SimClusterRef {
  const spec = state.clusters.find((c) => c.name === name);
  if (spec === undefined) throw new Error(`no cluster ${name} in the desired state`);
  return { account: spec.account, region: spec.region, cluster: spec.name };
}
