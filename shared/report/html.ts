/**
 * The sweep report (`spikesweep report`): one self-contained HTML document — inline CSS, charts
 * as inline SVG rendered by ECharts on the server, no script and no network fetch — that the
 * CLI writes as is or prints to PDF. Pure: the same input gives the same document.
 *
 * Every number comes from the analysed summary the results API returns (AnalyzedSummary, i.e.
 * shared/analysis) and is printed with shared/analysis's formatters, so the report reads the
 * same as the dashboard and the CLI summary. Sections, in order: question and setup; warnings;
 * recommendation and its confidence; measurement each method needs; stability (the three
 * named spreads); reproducibility across chips and field conditions; cost and return against
 * the simulation-trained (transfer) baseline; appendix of configuration and versions.
 */
import * as echarts from 'echarts';
import {
  formatBytes,
  formatDurationMs,
  formatEnergyJ,
  formatInterval,
  formatPercent,
  formatPp,
  groupLabel,
  MISSING,
  type GroupKey,
  type PairedComparison,
} from '../analysis/index.ts';
import type { AnalyzedSummary } from '../results-app/analyzed-summary.ts';
import type { SweepRecord } from '../contracts/index.ts';
import type { FieldSummary } from '../store/index.ts';

export interface ReportInput {
  summary: AnalyzedSummary;
  /** The sweep as registered (spec, creation time); its planned trials are not needed. */
  sweep: Omit<SweepRecord, 'trials'>;
  /** Field-conditions views; null or zero trials when the sweep has no operation study. */
  field: FieldSummary | null;
  versions: { spikesweep: string; node: string };
  /** When the report was made (ISO time); printed, so pass it in to keep the function pure. */
  generatedAt: string;
}

/** Text escaped for HTML element content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const esc = escapeHtml;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const sameGroup = (a: GroupKey, b: GroupKey) => a.method === b.method && a.mode === b.mode;

/** Number of trials with a final result (completed, failed, diverged or pruned). */
export function finishedTrials(summary: Pick<AnalyzedSummary, 'byStatus'>): number {
  const s = summary.byStatus;
  return (s.completed ?? 0) + (s.failed ?? 0) + (s.diverged ?? 0) + (s.pruned ?? 0);
}

/** A table; `nowrap` keeps every cell on one line (tables of short numbers). */
function table(headers: readonly string[], rows: readonly (readonly string[])[], nowrap = false): string {
  const head = headers.map((h) => `<th>${esc(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table${nowrap ? ' class="nowrap"' : ''}><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function section(id: string, title: string, body: string): string {
  return `<section id="${id}"><h2>${esc(title)}</h2>\n${body}\n</section>`;
}

/**
 * An ECharts option rendered to an SVG string (server-side rendering, no animation). ECharts
 * numbers its clip-path ids and hover classes with counters global to the process (`zr3-c0`,
 * `zr3-cls-7`); they are renumbered from 0 under `id`, so the same input gives the same document
 * however many charts the process drew before.
 */
function svgChart(id: string, option: echarts.EChartsCoreOption, width = 640, height = 260): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  chart.setOption({ animation: false, textStyle: { fontFamily: 'sans-serif' }, ...option });
  const renumbered = new Map<string, string>();
  const counts = new Map<string, number>();
  const svg = chart.renderToSVGString().replace(/\bzr\d+-(cls-|c)\d+\b/g, (match: string, kind: string) => {
    let name = renumbered.get(match);
    if (name === undefined) {
      const n = counts.get(kind) ?? 0;
      counts.set(kind, n + 1);
      name = `${id}-${kind}${n}`;
      renumbered.set(match, name);
    }
    return name;
  });
  chart.dispose();
  return `<figure class="chart" id="${id}">${svg}</figure>`;
}

const percentOrNull = (fraction: number | null) => (fraction === null ? null : Number(formatPercent(fraction, 2)));

function setupSection({ summary, sweep }: ReportInput): string {
  const description = typeof sweep.spec.description === 'string' && sweep.spec.description.trim() !== '' ? sweep.spec.description : null;
  const methods = [...new Set(summary.groups.map((g) => g.method))];
  const modes = [...new Set(summary.groups.map((g) => g.mode))];
  const chips = [...new Set(summary.chips.map((c) => c.mismatchSeed))].sort((a, b) => a - b);
  const facts: [string, string][] = [
    ['Sweep', `${sweep.name} (${sweep.sweepId})`],
    ['Trials', `${finishedTrials(summary)} of ${summary.planned} trials finished (${summary.byStatus.completed ?? 0} completed)`],
    ['Methods', methods.join(', ') || MISSING],
    ['Modes', modes.join(', ') || MISSING],
    ['Chips', chips.length > 0 ? `${chips.length} (mismatch seeds ${chips.join(', ')})` : MISSING],
    ['Swept axes', summary.axes.join(', ') || MISSING],
  ];
  const question = description ?? 'Which gradient method and training mode give the best test accuracy on these emulated chips, and how sure is that?';
  return section(
    'setup',
    'Question and setup',
    `<p class="question">${esc(question)}</p>\n<dl>${facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>`,
  );
}

function warningsSection({ summary }: ReportInput): string {
  const warnings = summary.analysis.warnings;
  if (warnings.length === 0) return '';
  const items = warnings.map((w) => `<li class="${w.severity}"><strong>${esc(w.severity)}</strong>: ${esc(w.message)}</li>`).join('\n');
  return section('warnings', 'Warnings', `<ul class="warnings">\n${items}\n</ul>`);
}

function comparisonRow(c: PairedComparison): string[] {
  return [
    `${groupLabel(c.a)} − ${groupLabel(c.b)}`,
    String(c.pairs),
    formatPp(c.meanDifferencePp),
    formatInterval(c.ci95Pp),
    c.pValue === null ? MISSING : c.pValue.toFixed(3),
    c.decisive ? 'decisive' : 'not decisive',
    c.decisive || c.moreChipsNeeded === null || c.moreSeedsNeeded === null ? MISSING : `${plural(c.moreChipsNeeded, 'chip')} or ${plural(c.moreSeedsNeeded, 'seed')}`,
  ];
}

function recommendationSection({ summary }: ReportInput): string {
  const r = summary.recommendation;
  if (!r) return section('recommendation', 'Recommendation', '<p>No completed trial yet: nothing to recommend.</p>');
  const facts: [string, string][] = [
    ['Recommended', groupLabel(r)],
    ['Mean test accuracy', `${formatPercent(r.meanAccuracy)} %`],
    ['Spread', r.spread.text],
    ['Confidence', r.confidence.level],
  ];
  if (r.worstDevice) facts.push(['Worst chip', `${formatPercent(r.worstDevice.meanAccuracy)} % (chip ${r.worstDevice.mismatchSeed})`]);
  const comparisons = summary.analysis.comparisons;
  const groups = summary.groups.filter((g) => g.accuracy.mean !== null);
  const chart = svgChart('chart-accuracy', {
    title: { text: 'Mean test accuracy per method × mode (%)', textStyle: { fontSize: 13 } },
    grid: { left: 50, right: 20, top: 50, bottom: 45 },
    xAxis: { type: 'category', data: groups.map((g) => `${g.method}\n(${g.mode})`), axisLabel: { interval: 0 } },
    yAxis: { type: 'value', name: '%' },
    series: [
      {
        type: 'bar',
        data: groups.map((g) => ({ value: percentOrNull(g.accuracy.mean), itemStyle: { color: sameGroup(g, r) ? '#2a6f4e' : '#8aa1b4' } })),
        label: { show: true, position: 'top', formatter: (p: { value: number }) => p.value.toFixed(1) },
      },
    ],
  });
  return section(
    'recommendation',
    'Recommendation',
    [
      `<p class="sentence">${esc(r.sentence)}</p>`,
      `<dl>${facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>`,
      comparisons.length > 0
        ? `<h3>Paired differences of the recommended group</h3>\n<p class="note">Same chips and seeds; 95 % CI by ${esc(comparisons[0]!.ciMethod)}; p from the exact sign-flip test.</p>\n` +
          table(['difference', 'pairs', 'mean', '95 % CI', 'p', 'verdict', 'more needed'], comparisons.map(comparisonRow), true)
        : '',
      chart,
    ].join('\n'),
  );
}

function measurementSection({ summary }: ReportInput): string {
  const rows = summary.groups.map((g) => [
    groupLabel(g),
    g.measurement,
    formatBytes(g.cost.readoutBytesPerSample.mean),
    formatDurationMs(g.cost.hardwareTimeMs.mean),
    formatDurationMs(g.cost.wallTimeMs.mean),
  ]);
  return section(
    'measurement',
    'Measurement each method needs',
    `<p>What the lab must read out of the device, per training sample and per trained network (means over finished trials).</p>\n` +
      table(['method (mode)', 'observables', 'read-out bytes / sample', 'chip time / trained network', 'wall time / trial'], rows, true),
  );
}

function stabilitySection({ summary }: ReportInput): string {
  const rows = summary.analysis.groups.map((g) => {
    const full = summary.groups.find((s) => sameGroup(s, g));
    return [groupLabel(g), `${g.completed}`, ...g.spreads.map((s) => s.text), full ? `${full.diverged} / ${full.failed}` : MISSING];
  });
  const definitions = Object.values(summary.spreadDefinitions)
    .map((d) => `<dt>${esc(d.label)}</dt><dd>${esc(d.definition)}</dd>`)
    .join('');
  return section(
    'stability',
    'Stability',
    table(['method (mode)', 'completed', 'sd over trials', 'sd over chip means', 'sd over seed means', 'diverged / failed'], rows) + `\n<dl class="definitions">${definitions}</dl>`,
  );
}

function reproducibilitySection({ summary, field }: ReportInput): string {
  const chips = [...new Set(summary.chips.map((c) => c.mismatchSeed))].sort((a, b) => a - b);
  const groups = summary.groups.filter((g) => g.accuracy.mean !== null);
  const cell = (g: GroupKey, chip: number) => summary.chips.find((c) => c.mismatchSeed === chip && sameGroup(c, g))?.accuracy.mean ?? null;
  const parts: string[] = [];
  if (chips.length === 0) parts.push('<p>No chip evaluations recorded.</p>');
  else {
    parts.push(`<p>Mean test accuracy (%) of each method × mode on each chip (mismatch seed), over every evaluation on that chip.</p>`);
    parts.push(
      table(
        ['method (mode)', ...chips.map((c) => `chip ${c}`), 'worst chip'],
        groups.map((g) => [
          groupLabel(g),
          ...chips.map((c) => formatPercent(cell(g, c))),
          g.devices.worst ? `${formatPercent(g.devices.worst.meanAccuracy)} (chip ${g.devices.worst.mismatchSeed})` : MISSING,
        ]),
      ),
    );
    parts.push(
      svgChart('chart-chips', {
        title: { text: 'Test accuracy per chip (%)', textStyle: { fontSize: 13 } },
        legend: { bottom: 0 },
        grid: { left: 50, right: 20, top: 40, bottom: 50 },
        xAxis: { type: 'category', data: chips.map((c) => `chip ${c}`) },
        yAxis: { type: 'value', name: '%', scale: true },
        series: groups.map((g) => ({ type: 'line', name: groupLabel(g), data: chips.map((c) => percentOrNull(cell(g, c))), connectNulls: false })),
      }),
    );
  }
  if (summary.simToChipGap.length > 0) {
    parts.push('<h3>Simulation-to-chip gap</h3>');
    parts.push(table(['method', 'on-chip mode', 'simulation minus chip'], summary.simToChipGap.map((g) => [g.method, g.mode, formatPp(g.gapPp)])));
  }
  if (field && field.trials > 0) {
    parts.push(`<h3>Field conditions</h3>\n<p>${field.trials} trials carried an operation study (temperature and ageing schedule with maintenance policies).</p>`);
    parts.push(
      table(
        ['method (mode)', 'policy', 'trials', 'mean accuracy %', 'worst accuracy %', 'kept within tolerance', 'chip time', 'energy'],
        field.policies.map((p) => [
          groupLabel(p),
          p.policy,
          String(p.trials),
          formatPercent(p.meanAccuracy),
          formatPercent(p.worstAccuracy.mean),
          `${Math.round(100 * p.keptFraction)} %`,
          formatDurationMs(p.hardwareTimeMs),
          formatEnergyJ(p.energyJ),
        ]),
      ),
    );
  }
  return section('reproducibility', 'Reproducibility across chips', parts.join('\n'));
}

function costSection({ summary }: ReportInput): string {
  const rows = summary.groups
    .filter((g) => g.roi !== null)
    .map((g) => {
      const roi = g.roi!;
      return [
        groupLabel(g),
        groupLabel(roi.baseline),
        formatPp(roi.accuracyGainPp),
        formatDurationMs(roi.addedHardwareTimeMs),
        formatDurationMs(roi.addedWallTimeMs),
        formatPp(roi.ppPerHardwareSecond),
        formatPp(roi.ppPerWallHour),
        formatPp(roi.ppPerJoule),
      ];
    });
  const intro =
    '<p>Return on training on the chip, against the baseline of a network trained in simulation and deployed on the chip ' +
    '(the <code>transfer</code> group of the same method, else the best transfer group): accuracy gained per unit of added cost per trained network. ' +
    'A dash means the group did not cost more than its baseline.</p>';
  const body = rows.length > 0 ? table(['method (mode)', 'baseline', 'accuracy gain', 'added chip time', 'added wall time', 'per chip-second', 'per wall hour', 'per joule'], rows, true) : '<p>No group with a transfer baseline in this sweep.</p>';
  return section('cost', 'Cost and return', `${intro}\n${body}`);
}

function appendixSection({ sweep, versions, generatedAt }: ReportInput): string {
  const facts: [string, string][] = [
    ['spikesweep', versions.spikesweep],
    ['Node.js', versions.node],
    ['Sweep created', sweep.createdAt],
    ['Report generated', generatedAt],
  ];
  return section(
    'appendix',
    'Appendix: configuration and versions',
    `<dl>${facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>\n<h3>Sweep spec</h3>\n<pre>${esc(JSON.stringify(sweep.spec, null, 2))}</pre>`,
  );
}

const CSS = `
@page { size: A4; margin: 16mm 14mm; }
body { font: 10.5pt/1.4 sans-serif; color: #1d2630; max-width: 190mm; margin: 0 auto; }
@media screen { body { padding: 6mm 4mm; } }
h1 { font-size: 18pt; margin: 0 0 2mm; }
h2 { font-size: 13pt; border-bottom: 1px solid #c8d0d8; padding-bottom: 1mm; margin: 7mm 0 2mm; }
h3 { font-size: 11pt; margin: 4mm 0 1mm; }
h2, h3 { break-after: avoid; }
.meta, .note { color: #5b6670; font-size: 9pt; }
.question { font-style: italic; }
.sentence { font-weight: bold; }
dl { display: grid; grid-template-columns: max-content auto; gap: 0.5mm 4mm; margin: 2mm 0; }
dt { font-weight: bold; }
dd { margin: 0; }
table { border-collapse: collapse; width: 100%; font-size: 9pt; margin: 2mm 0; page-break-inside: avoid; }
th, td { border: 1px solid #d5dbe1; padding: 1mm 1.5mm; text-align: left; vertical-align: top; }
th { background: #eef2f5; }
td:first-child, table.nowrap td { white-space: nowrap; }
ul.warnings { padding-left: 5mm; }
ul.warnings li.critical strong { color: #a11d1d; }
ul.warnings li.warning strong { color: #8a5a00; }
figure.chart { margin: 3mm 0; page-break-inside: avoid; }
figure.chart svg { max-width: 100%; height: auto; }
pre { font-size: 8pt; background: #f5f7f9; padding: 2mm; white-space: pre-wrap; word-break: break-all; }
`;

/** The whole report as one HTML document. */
export function reportHtml(input: ReportInput): string {
  const title = `SpikeSweep report: ${input.sweep.name}`;
  const body = [
    `<h1>${esc(title)}</h1>`,
    `<p class="meta">sweep ${esc(input.sweep.sweepId)} · generated ${esc(input.generatedAt)} · spikesweep ${esc(input.versions.spikesweep)}</p>`,
    setupSection(input),
    warningsSection(input),
    recommendationSection(input),
    measurementSection(input),
    stabilitySection(input),
    reproducibilitySection(input),
    costSection(input),
    appendixSection(input),
  ]
    .filter((part) => part !== '')
    .join('\n');
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><style>${CSS}</style></head>\n<body>\n${body}\n</body></html>\n`;
}
