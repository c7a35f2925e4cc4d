// `npm run build` (also run by `npm ci` through `prepare`): compiles shared/ and services/ to
// dist/ with tsc (tsconfig.build.json), copies the plain JavaScript modules tsc does not emit,
// and writes dist/.build-stamp, which shared/runtime/compiled.js compares with the sources'
// modification times to decide whether the compiled code may run.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const started = Date.now();

let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  // `npm ci --omit=dev` (a production image) has no compiler: the image's build stage made dist/.
  process.stderr.write('build: typescript is not installed; skipped (processes run the sources through tsx)\n');
  process.exit(0);
}

rmSync(dist, { recursive: true, force: true });
const run = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (run.status !== 0) {
  rmSync(dist, { recursive: true, force: true });
  process.stderr.write('build: tsc failed; dist/ removed (processes run the sources through tsx)\n');
  process.exit(run.status ?? 1);
}
// Files next to the code that are not TypeScript (the dashboard's page and script, plain
// JavaScript modules, protocol definitions) keep their place relative to the compiled modules.
const copied = copyAssets(root, dist, ['shared', 'services']);
writeFileSync(join(dist, '.build-stamp'), `${new Date().toISOString()}\n`);
process.stderr.write(`build: dist/ compiled (${copied} other files copied) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);

function copyAssets(from, to, dirs) {
  let count = 0;
  const walk = (rel) => {
    for (const entry of readdirSync(join(from, rel), { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      const path = join(rel, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (!/\.(ts|md)$/.test(entry.name)) {
        mkdirSync(dirname(join(to, path)), { recursive: true });
        cpSync(join(from, path), join(to, path));
        count++;
      }
    }
  };
  for (const dir of dirs) walk(dir);
  return count;
}
