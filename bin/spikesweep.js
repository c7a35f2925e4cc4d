#!/usr/bin/env node
// Entry of the `spikesweep` command: runs the compiled CLI from dist/ when the build is at
// least as new as the sources (`npm run build`, run by `npm ci`), else registers the
// TypeScript loader and runs the sources.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compiledIsFresh, DIST } from '../shared/runtime/compiled.js';

if (compiledIsFresh()) {
  await import(pathToFileURL(join(DIST, 'services', 'cli', 'main.js')).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../services/cli/main.ts');
}
