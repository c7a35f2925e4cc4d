// Which form of the code a process runs: the JavaScript that `npm run build` compiles into
// dist/ (fast start: no TypeScript transpiled at run time), or the TypeScript sources through
// the tsx loader when dist/ is missing or older than any source (a developer's edit is never
// shadowed by a stale build). Plain JavaScript so bin/spikesweep.js can use it before any
// loader is registered.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file sits in shared/runtime/ in the sources and in dist/shared/runtime/). */
function findRoot() {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let k = 0; k < 5; k++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'services'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('spikesweep: cannot find the repository root from ' + fileURLToPath(import.meta.url));
}

export const ROOT = findRoot();
export const DIST = join(ROOT, 'dist');
/** Written by `npm run build` after a successful compile. */
export const STAMP = join(DIST, '.build-stamp');

const SOURCE_DIRS = ['shared', 'services'];

function newestSourceMs(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceMs(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

let fresh;
/** True when dist/ holds a build at least as new as every TypeScript source (cached per process). */
export function compiledIsFresh() {
  if (fresh !== undefined) return fresh;
  if (process.env.SPIKESWEEP_FROM_SOURCE === '1' || !existsSync(STAMP)) return (fresh = false);
  const built = statSync(STAMP).mtimeMs;
  fresh = SOURCE_DIRS.every((d) => newestSourceMs(join(ROOT, d)) <= built);
  return fresh;
}

/**
 * The node arguments that run the TypeScript entry `tsPath` (relative to the root, e.g.
 * `services/worker/main.ts`): its compiled file when the build is fresh, else the source via tsx.
 */
export function entryArgs(tsPath) {
  const rel = relative(ROOT, join(ROOT, tsPath));
  if (compiledIsFresh()) return [join(DIST, rel.replace(/\.ts$/, '.js'))];
  return ['--import', 'tsx', join(ROOT, rel)];
}
