/** Paths of the repository that the tests share: its root, the built programs and the demo files. */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// src/ and dist/ stand at the same depth, so this holds for the sources and for the build.
export const repoRoot: string = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** The built CLI: `node hubBin plan|apply|run …` (needs `pnpm build`). */
export const hubBin: string = join(repoRoot, 'apps', 'controller', 'dist', 'main.js');
/** The built simulator: `node simBin --world FILE` or `--accounts N …` (needs `pnpm build`). */
export const simBin: string = join(repoRoot, 'packages', 'sim', 'dist', 'main.js');
export const demoHubFile: string = join(repoRoot, 'config', 'sim', 'demo-hub.yaml');
export const demoWorldFile: string = join(repoRoot, 'config', 'sim', 'demo-world.yaml');
