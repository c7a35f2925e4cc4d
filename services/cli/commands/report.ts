import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { COMMANDS } from '../commands.ts';
import { NotFoundError, ValidationError } from '../../../shared/contracts/index.ts';
import { createEmbeddedStore, createMongoStore, type Store } from '../../../shared/store/index.ts';
import { readAnalyzedSummary } from '../../../shared/results-app/analyzed-summary.ts';
import { reportHtml, type ReportInput } from '../../../shared/report/html.ts';

interface ReportOptions {
  store?: string;
  mongo?: string;
  mongoDb: string;
  output?: string;
  format: string;
}

const FORMATS = ['pdf', 'html'] as const;
type ReportFormat = (typeof FORMATS)[number];

/**
 * `spikesweep report SWEEP [--store DIR | --mongo URL] -o FILE [--format pdf|html]`: the sweep's
 * analysed summary (the same numbers as the results API) as a self-contained HTML report
 * (shared/report/html.ts), or that HTML printed to an A4 PDF by Chromium (playwright-core).
 */
export function register(program: Command): void {
  program
    .command('report')
    .description(COMMANDS.report.summary)
    .argument('<sweep>', 'sweep id (as printed by `spikesweep run`)')
    .option('--store <dir>', 'embedded store directory written by `spikesweep run` (default .data/store)')
    .option('--mongo <url>', 'MongoDB URL instead of an embedded store')
    .option('--mongo-db <name>', 'MongoDB database', 'spikesweep')
    .option('-o, --output <file>', 'file to write (report.pdf or report.html)')
    .option('--format <format>', 'pdf (A4, rendered by Chromium) or html (self-contained)', 'pdf')
    .action(async (sweepId: string, options: ReportOptions) => {
      const format = checkOptions(options);
      const output = resolve(options.output!);
      const store = await openStore(options);
      let html: string;
      try {
        html = reportHtml(await readReportInput(store, sweepId));
      } finally {
        await store.close();
      }
      if (format === 'html') writeFileSync(output, html);
      else writeFileSync(output, await htmlToPdf(html));
      process.stdout.write(`report: ${output}\n`);
    });
}

function checkOptions(options: ReportOptions): ReportFormat {
  if (options.store && options.mongo) {
    throw new ValidationError('spikesweep:invalid-input', [{ path: '--store', message: 'give either --store or --mongo, not both' }]);
  }
  if (!options.output) throw new ValidationError('spikesweep:invalid-input', [{ path: '--output', message: 'required: the file to write (-o report.pdf)' }]);
  if (!(FORMATS as readonly string[]).includes(options.format)) {
    throw new ValidationError('spikesweep:invalid-input', [{ path: '--format', message: `one of ${FORMATS.join(', ')}, not '${options.format}'` }]);
  }
  if (!existsSync(dirname(resolve(options.output)))) {
    throw new ValidationError('spikesweep:invalid-input', [{ path: '--output', message: `directory ${dirname(resolve(options.output))} does not exist` }]);
  }
  return options.format as ReportFormat;
}

async function openStore(options: ReportOptions): Promise<Store> {
  if (options.mongo) return createMongoStore({ url: options.mongo, dbName: options.mongoDb });
  const dir = resolve(options.store ?? '.data/store');
  // Opening an embedded store creates its directory; a report only reads, so a missing one is an error.
  if (!existsSync(dir)) throw new ValidationError('spikesweep:invalid-input', [{ path: '--store', message: `no store directory ${dir}` }]);
  return createEmbeddedStore({ dir, follow: true });
}

/** What the report shows, read through the same function as the results API's summary route. */
export async function readReportInput(store: Store, sweepId: string): Promise<ReportInput> {
  const sweep = await store.getSweep(sweepId);
  if (!sweep) throw new NotFoundError(`no sweep '${sweepId}' in the store`);
  const [summary, field] = await Promise.all([readAnalyzedSummary(store, sweepId), store.getFieldSummary(sweepId)]);
  const { trials: _trials, ...record } = sweep;
  return {
    summary,
    sweep: record,
    field,
    versions: { spikesweep: packageVersion(), node: process.version },
    generatedAt: new Date().toISOString(),
  };
}

/** Version of the `spikesweep` package this code belongs to (from sources or from dist/). */
function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'spikesweep' && pkg.version) return pkg.version;
    }
    const parent = dirname(dir);
    if (parent === dir) return 'unknown';
    dir = parent;
  }
}

/** Chromium to print with: $SPIKESWEEP_CHROMIUM, else `chromium` on PATH (Debian's package). */
function chromiumExecutable(): string {
  if (process.env.SPIKESWEEP_CHROMIUM) return process.env.SPIKESWEEP_CHROMIUM;
  const found = spawnSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' });
  const path = found.stdout.trim();
  if (found.status !== 0 || path === '') {
    throw new ValidationError('spikesweep:invalid-input', [
      { path: '--format', message: 'pdf needs Chromium: install it (bash infra/services.sh test-tools), set SPIKESWEEP_CHROMIUM, or use --format html' },
    ]);
  }
  return path;
}

/** The HTML printed to an A4 PDF by headless Chromium; the page loads nothing from the network. */
async function htmlToPdf(html: string): Promise<Buffer> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: chromiumExecutable(),
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = await browser.newPage();
    await page.route('**/*', (route) => route.abort());
    await page.setContent(html, { waitUntil: 'load' });
    return await page.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true });
  } finally {
    await browser.close();
  }
}
