/* global window, document, fetch, echarts, location, setTimeout, clearTimeout, URLSearchParams */
// SpikeSweep dashboard: plain browser JavaScript on ECharts (served from the local npm copy).
// Every number comes from the results service's aggregates (/api/sweeps/:id/summary, …); the
// browser never receives every trial. Pages: '#/' (sweep list) and '#/sweep/<id>'.
'use strict';

const state = { timer: null, charts: {}, summary: null, pollMs: 5000, heatGroup: null, axis: null, trialPage: 0, trialSort: 'testAccuracy:desc' };
window.__spikesweep = state;

const $ = (sel) => document.querySelector(sel);
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
/** Fractions as percent with one decimal, the way the manager sentence prints them. */
const pct = (x) => (x === null || x === undefined ? '–' : (100 * x).toFixed(1));
const num = (x, d = 1) => (x === null || x === undefined ? '–' : Number(x).toFixed(d));
const label = (g) => `${g.method} (${g.mode})`;
const METHOD_COLORS = { surrogate: '#1f6feb', 'spike-time': '#d97706', eventprop: '#16a34a' };
const MODE_SHADE = { simulation: 0.45, 'in-the-loop': 1, transfer: 0.7, 'robust-transfer': 0.85 };
function colorOf(g) {
  const base = METHOD_COLORS[g.method] || '#6b7280';
  const a = MODE_SHADE[g.mode] ?? 1;
  const r = parseInt(base.slice(1, 3), 16), gg = parseInt(base.slice(3, 5), 16), b = parseInt(base.slice(5, 7), 16);
  const mix = (c) => Math.round(c * a + 255 * (1 - a));
  return `rgb(${mix(r)},${mix(gg)},${mix(b)})`;
}
function duration(ms) {
  if (ms === null || ms === undefined) return '–';
  if (ms < 1000) return `${ms.toFixed(0)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3600000) return `${(ms / 60000).toFixed(1)} min`;
  return `${(ms / 3600000).toFixed(2)} h`;
}

async function getJson(url) {
  const res = await fetch(url);
  const body = await res.json();
  if (!res.ok) throw new Error(body?.error?.message || res.statusText);
  return body;
}

function stopPolling() {
  if (state.timer) clearTimeout(state.timer);
  state.timer = null;
  $('#live').hidden = true;
}
function disposeCharts() {
  for (const c of Object.values(state.charts)) c.dispose();
  state.charts = {};
}
function chart(id) {
  if (!state.charts[id]) state.charts[id] = echarts.init(document.getElementById(id), null, { renderer: 'canvas' });
  return state.charts[id];
}
window.addEventListener('resize', () => Object.values(state.charts).forEach((c) => c.resize()));

// ------------------------------------------------------------------ sweep list

async function renderList() {
  stopPolling();
  disposeCharts();
  $('#crumb').textContent = 'Sweeps';
  const { sweeps } = await getJson('/api/sweeps?limit=200');
  $('#app').innerHTML = `
    <h2>Sweeps</h2>
    <div class="panel"><table id="sweeps"><thead><tr><th>Name</th><th class="l">Sweep id</th><th class="l">Status</th><th>Trials</th><th class="l">Axes</th><th class="l">Created</th></tr></thead>
    <tbody>${sweeps
      .map((s) => `<tr><td><a href="#/sweep/${encodeURIComponent(s.sweepId)}">${esc(s.name)}</a></td><td class="l">${esc(s.sweepId)}</td><td class="l">${esc(s.status)}</td><td>${s.planned}</td><td class="l">${esc(s.axes.join(', '))}</td><td class="l">${esc(s.createdAt)}</td></tr>`)
      .join('')}</tbody></table>${sweeps.length === 0 ? '<p class="muted">No sweeps yet.</p>' : ''}</div>`;
  await renderDevices();
  renderComparePicker(sweeps);
}

/** Physical devices (pools): who reaches them, who holds them, how busy they have been. */
async function renderDevices() {
  const { devices } = await getJson('/api/devices');
  if (devices.length === 0) return;
  $('#app').insertAdjacentHTML(
    'beforeend',
    `<h2>Devices</h2>
    <div class="panel"><table id="devices"><thead><tr><th class="l">Pool</th><th class="l">Device</th><th>Utilisation %</th><th>Busy</th><th>Trials</th><th class="l">Held by</th><th class="l">Reachable by</th></tr></thead>
    <tbody>${devices
      .map((d) => `<tr><td class="l">${esc(d.pool)}</td><td class="l">${esc(d.id)}</td><td>${pct(d.utilisation)}</td><td>${duration(d.busyMs)}</td><td>${d.leases}</td><td class="l">${esc(d.holder ?? '–')}</td><td class="l">${d.reachableBy.length ? esc(d.reachableBy.join(', ')) : '<span class="muted">none (trials wait)</span>'}</td></tr>`)
      .join('')}</tbody></table></div>`,
  );
}

/** Below the list: pick two or more sweeps (device batches, dates) to see side by side. */
function renderComparePicker(sweeps) {
  if (sweeps.length < 2) return;
  $('#app').insertAdjacentHTML(
    'beforeend',
    `<h2>Compare sweeps</h2><div class="panel" id="compare-picker">${sweeps
      .map((s) => `<label><input type="checkbox" value="${esc(s.sweepId)}"> ${esc(s.name)} <span class="muted">${esc(s.sweepId)}</span></label><br>`)
      .join('')}<button id="compare-go" disabled>Compare selected side by side</button></div>`,
  );
  const boxes = [...document.querySelectorAll('#compare-picker input')];
  const selected = () => boxes.filter((b) => b.checked).map((b) => b.value);
  for (const b of boxes) b.onchange = () => { $('#compare-go').disabled = selected().length < 2; };
  $('#compare-go').onclick = () => { location.hash = `#/compare/${selected().map(encodeURIComponent).join(',')}`; };
}

// ------------------------------------------------------------------ sweeps side by side

async function renderCompare(ids) {
  stopPolling();
  disposeCharts();
  const c = await getJson(`/api/compare?sweeps=${ids.map(encodeURIComponent).join(',')}`);
  const name = (s) => `${esc(s.name ?? s.sweepId)} <span class="muted">(${s.completed}/${s.planned})</span>`;
  $('#crumb').innerHTML = `<a href="#/">Sweeps</a> / compare ${c.sweeps.length} sweeps`;
  const head = `<tr><th>Method (mode)</th>${c.sweeps.map((s) => `<th>${name(s)}</th>`).join('')}${c.sweeps
    .slice(1)
    .map((s) => `<th>${esc(s.name ?? s.sweepId)} − ${esc(c.sweeps[0].name ?? c.sweeps[0].sweepId)}</th>`)
    .join('')}</tr>`;
  const cell = (x) => {
    if (!x || x.meanAccuracy === null) return '–';
    const chips = x.spreads.find((sp) => sp.name === 'sdOverChipMeans');
    const spread = chips && chips.sdPp !== null ? chips : x.spreads.find((sp) => sp.name === 'sdOverTrials');
    return `${pct(x.meanAccuracy)} % <span class="muted">${esc(spread?.text ?? '')}</span>`;
  };
  const diff = (d) => (d ? `${fmtPp(d.meanDifferencePp)} <span class="muted">95 % CI ${fmtCi(d.ci95Pp)}, ${esc(d.ciMethod)}</span>${d.decisive ? ' · decisive' : ' · not decisive'}` : '–');
  $('#app').innerHTML = `
    <section id="compare" data-testid="compare">
      <h2>Sweeps side by side</h2>
      ${c.sweeps.map((s, i) => `<p class="sentence"><span class="muted">${esc(s.name ?? s.sweepId)}:</span> ${esc(c.recommendations[i]?.sentence ?? 'no completed trial yet')}</p>`).join('')}
      <div class="panel scroll"><table id="compare-table"><thead>${head}</thead><tbody>${c.rows
        .map((r) => `<tr><td>${esc(label(r))}</td>${r.perSweep.map(cell).map((x) => `<td>${x}</td>`).join('')}${r.differences.map((d) => `<td>${diff(d)}</td>`).join('')}</tr>`)
        .join('')}</tbody></table></div>
      <p class="muted">Differences are to the first sweep: paired t on the chips and seeds both sweeps ran when they share at least two, else Welch's two-sample interval over the trials.</p>
    </section>`;
  state.rendered = (state.rendered || 0) + 1;
}

// ------------------------------------------------------------------ sweep page

function skeleton() {
  $('#app').innerHTML = `
    <section id="manager">
      <div id="warnings" data-testid="warnings"></div>
      <div class="progress"><div id="progress-bar" style="width:0"></div></div>
      <p class="sentence" id="sentence" data-testid="sentence">–</p>
      <p class="muted" id="planned" data-testid="planned"></p>
      <div class="cards">
        <div class="card" data-testid="card-method"><div class="label">Recommended</div><div class="value" id="c-method">–</div><div class="sub" id="c-measure">–</div></div>
        <div class="card" data-testid="card-accuracy"><div class="label">Accuracy (mean)</div><div class="value" id="c-acc">–</div><div class="sub" id="c-acc-sub">–</div></div>
        <div class="card" data-testid="card-worst"><div class="label">Worst device</div><div class="value" id="c-worst">–</div><div class="sub" id="c-worst-sub">–</div></div>
        <div class="card" data-testid="card-cost"><div class="label">Cost per trial</div><div class="value" id="c-cost">–</div><div class="sub" id="c-cost-sub">–</div></div>
        <div class="card" data-testid="card-roi"><div class="label">ROI vs. transfer</div><div class="value" id="c-roi">–</div><div class="sub" id="c-roi-sub">–</div></div>
        <div class="card" data-testid="card-stability"><div class="label">Stability</div><div class="value" id="c-stab">–</div><div class="sub" id="c-stab-sub">–</div></div>
      </div>
      <h2>Methods compared</h2>
      <div class="panel scroll"><table id="groups"></table></div>
      <p class="muted" id="spread-legend" data-testid="spread-legend"></p>
      <div class="grid2">
        <div class="panel"><h3>Paired comparisons: the recommendation against each group on the same chips and seeds</h3><div class="scroll"><table id="paired" data-testid="paired"></table></div></div>
        <div class="panel"><h3 id="importance-title">Parameter importance</h3><div class="scroll"><table id="importance" data-testid="importance"></table></div></div>
        <div class="panel"><h3>Pareto front: accuracy vs chip time vs read-out bytes per sample</h3><div id="ch-pareto" class="chart"></div><p class="muted" id="pareto-note"></p></div>
      </div>
    </section>
    <section id="engineers">
      <h2>For engineers</h2>
      <div class="grid2">
        <div class="panel"><h3>Accuracy across device instances (per-chip means)</h3><div id="ch-box" class="chart"></div></div>
        <div class="panel"><div class="toolbar"><h3>Learning rate × surrogate β: mean accuracy</h3><select id="heat-group"></select></div><div id="ch-heat" class="chart"></div></div>
        <div class="panel"><h3>Learning curves: validation accuracy, mean ± sd</h3><div id="ch-curves" class="chart"></div></div>
        <div class="panel"><h3>Parallel coordinates: best completed trials</h3><div id="ch-parallel" class="chart"></div></div>
        <div class="panel"><div class="toolbar"><h3>Accuracy against</h3><select id="axis-select"></select></div><div id="ch-axis" class="chart"></div></div>
        <div class="panel"><h3>Per chip: mean test accuracy (%)</h3><div class="scroll"><table id="chips"></table></div></div>
      </div>
      <h2>Trials</h2>
      <div class="panel">
        <div class="toolbar"><button id="prev">◀</button><span id="page-info"></span><button id="next">▶</button>
          <a id="csv" href="#">CSV</a> <a id="json" href="#">JSON</a></div>
        <div class="scroll"><table id="trials"></table></div>
      </div>
    </section>`;
}

const fmtPp = (x) => (x === null || x === undefined ? '–' : `${x > 0 ? '+' : x < 0 ? '−' : '±'}${Math.abs(x).toFixed(1)} pp`);
const fmtCi = (ci) => (ci ? `${fmtPp(ci[0]).replace(' pp', '')} to ${fmtPp(ci[1])}` : '–');

/** Warnings lead the page: incomplete, unconverged, small splits, diverged trials (from the analysis). */
function renderWarnings(s) {
  const warnings = s.analysis?.warnings ?? [];
  $('#warnings').innerHTML = warnings
    .map((w) => `<p class="warning ${esc(w.severity)}" data-code="${esc(w.code)}">${w.severity === 'critical' ? '⚠ ' : ''}${esc(w.message)}</p>`)
    .join('');
}

function renderAnalysis(s) {
  const a = s.analysis;
  if (!a) return;
  const defs = s.spreadDefinitions ?? {};
  $('#spread-legend').textContent = Object.values(defs).map((d) => `${d.label}: ${d.definition}`).join(' · ');
  $('#paired').innerHTML = `<thead><tr><th>Recommended − other</th><th>Mean diff.</th><th>95 % CI (paired t)</th><th>Pairs (chips × seeds)</th><th>p (sign-flip)</th><th class="l">Verdict</th></tr></thead><tbody>${a.comparisons
    .map(
      (c) => `<tr><td>${esc(label(c.a))} − ${esc(label(c.b))}</td><td>${fmtPp(c.meanDifferencePp)}</td><td>${fmtCi(c.ci95Pp)}</td><td>${c.pairs} (${c.chips} × ${c.seeds})</td><td>${num(c.pValue, 3)}</td><td class="l">${
        c.decisive ? 'decisive' : c.moreChipsNeeded !== null ? `not decisive: ~${c.moreChipsNeeded} more chips or ${c.moreSeedsNeeded} more seeds` : 'not decisive'
      }</td></tr>`,
    )
    .join('')}</tbody>`;
  const imp = a.importance;
  $('#importance-title').textContent = imp ? `Parameter importance (${imp.estimator})` : 'Parameter importance';
  $('#importance').innerHTML = imp
    ? `<thead><tr><th>Swept axis</th><th>Levels</th><th>Share of variance</th></tr></thead><tbody>${imp.axes
        .map((x) => `<tr><td>${esc(x.axis)}</td><td>${x.levels}</td><td>${Math.round(100 * x.share)} %</td></tr>`)
        .join('')}<tr><td class="muted">interactions</td><td></td><td>${Math.round(100 * imp.interactionShare)} %</td></tr></tbody><caption class="muted">${imp.cells} of ${imp.gridCells} cells observed; variance of cell means ${num(imp.totalVariancePp2, 1)} pp²</caption>`
    : '<tbody><tr><td class="muted">No swept axis varies among the completed trials.</td></tr></tbody>';
  const front = a.pareto;
  chart('ch-pareto').setOption(
    {
      grid: { left: 60, right: 20, top: 20, bottom: 45 },
      tooltip: { formatter: (p) => `${p.data.name}: ${p.value[1].toFixed(1)} %, ${duration(p.value[0])} chip time, ${p.value[2].toFixed(0)} B/sample${p.data.onFront ? ' (on the front)' : ''}` },
      xAxis: { type: 'value', name: 'chip time per trial (ms)', nameLocation: 'middle', nameGap: 28, scale: true },
      yAxis: { type: 'value', name: 'accuracy %', scale: true },
      series: [
        {
          name: 'groups',
          type: 'scatter',
          symbolSize: (v) => 8 + 4 * Math.log10(1 + v[2]),
          label: { show: true, formatter: (p) => p.data.name, position: 'right', fontSize: 10 },
          data: front.map((p) => ({ name: label(p), onFront: p.onFront, value: [p.hardwareTimeMs, 100 * p.meanAccuracy, p.readoutBytesPerSample], itemStyle: { color: colorOf(p), opacity: p.onFront ? 1 : 0.35 } })),
        },
      ],
    },
    true,
  );
  $('#pareto-note').textContent = `On the front (no group is at least as accurate, as fast on the chip and as light to read out): ${front.filter((p) => p.onFront).map(label).join(', ') || '–'}. Marker size grows with read-out bytes per sample.`;
}

function renderEstimate(e) {
  if (!e) return;
  const left = e.left.trials > 0 && e.left.trials < e.planned.trials ? ` · left: ${e.left.trials} trials, ${duration(e.left.cpuMs)} CPU` : '';
  $('#planned').textContent = `Planned: ${e.planned.trials} trials · estimated CPU time ${duration(e.planned.cpuMs)} · chip time ${duration(e.planned.hardwareTimeMs)} (cost model)${left}`;
}

function renderManager(s) {
  renderWarnings(s);
  const r = s.recommendation;
  const finished = s.byStatus.completed + s.byStatus.failed + s.byStatus.diverged + s.byStatus.pruned;
  $('#progress-bar').style.width = `${s.planned ? (100 * finished) / s.planned : 0}%`;
  $('#crumb').innerHTML = `<a href="#/">Sweeps</a> / ${esc(s.name ?? s.sweepId)} · ${esc(s.status ?? '')} · ${finished}/${s.planned} trials finished`;
  $('#sentence').textContent = r ? r.sentence : 'No completed trial yet.';
  if (!r) return;
  const g = s.groups.find((x) => x.method === r.method && x.mode === r.mode);
  $('#c-method').textContent = r.method;
  $('#c-measure').textContent = `${r.mode} · needs ${r.measurement}`;
  $('#c-acc').textContent = `${pct(r.meanAccuracy)} %`;
  $('#c-acc-sub').textContent = `${r.spread.text} · median ${pct(g?.accuracy.median)} %`;
  $('#c-worst').textContent = r.worstDevice ? `${pct(r.worstDevice.meanAccuracy)} %` : '–';
  $('#c-worst-sub').textContent = r.worstDevice ? `chip ${r.worstDevice.mismatchSeed} (mismatch seed)` : 'no chip evaluations';
  $('#c-cost').textContent = duration(r.meanWallTimeMs);
  $('#c-cost-sub').textContent = `wall · ${duration(r.meanHardwareTimeMs)} on chip · ${num(g?.cost.energyJ.mean, 3)} J · ${num(g?.cost.chipRuns.mean, 0)} runs`;
  if (r.roi) {
    $('#c-roi').textContent = `${r.roi.accuracyGainPp >= 0 ? '+' : ''}${num(r.roi.accuracyGainPp)} pp`;
    $('#c-roi-sub').textContent = `over ${label(r.roi.baseline)}` + (r.roi.ppPerHardwareSecond !== null ? ` · ${num(r.roi.ppPerHardwareSecond, 2)} pp per extra chip-second` : '');
  } else {
    $('#c-roi').textContent = '–';
    $('#c-roi-sub').textContent = r.mode === 'transfer' ? 'is the transfer baseline' : 'no transfer baseline in this sweep';
  }
  $('#c-stab').textContent = `${pct(g?.unstableShare)} % failed`;
  const seedSpread = s.analysis?.groups.find((x) => x.method === r.method && x.mode === r.mode)?.spreads.find((x) => x.name === 'sdOverSeedMeans');
  $('#c-stab-sub').textContent = `${seedSpread ? seedSpread.text : '–'} · ${g?.diverged ?? 0} diverged`;
}

function renderGroups(s) {
  const r = s.recommendation;
  const gap = (g) => s.simToChipGap.find((x) => x.method === g.method && x.mode === g.mode);
  $('#groups').innerHTML = `<thead><tr><th>Method (mode)</th><th>Accuracy % ± sd over trials, pp</th><th>Median</th><th>Min–max</th><th>sd over chip means, pp (chips)</th><th>sd over seed means, pp (seeds)</th><th>Sim→chip</th><th>Ep. to 90 %</th><th>To 95 %</th><th>Failed</th><th>Wall</th><th>Chip time</th><th>Readout B</th><th>ROI pp</th><th>Done</th></tr></thead><tbody>${s.groups
    .map(
      (g) => `<tr class="${r && g.method === r.method && g.mode === r.mode ? 'best' : ''}"><td>${esc(label(g))}</td><td>${pct(g.accuracy.mean)} ± ${pct(g.accuracy.sd)}</td><td>${pct(g.accuracy.median)}</td><td>${pct(g.accuracy.min)}–${pct(g.accuracy.max)}</td><td>${g.devices.count ? `${pct(g.devices.sd)} (${g.devices.count})` : '–'}</td><td>${g.seeds.count ? `${pct(g.seeds.sd)} (${g.seeds.count})` : '–'}</td><td>${gap(g) ? `${num(gap(g).gapPp)} pp` : '–'}</td><td>${num(g.convergence.to90.epochs.mean)} (${pct(g.convergence.to90.share)} %)</td><td>${duration(g.convergence.to95.wallTimeMs.mean)}</td><td>${pct(g.unstableShare)} %</td><td>${duration(g.cost.wallTimeMs.mean)}</td><td>${duration(g.cost.hardwareTimeMs.mean)}</td><td>${num(g.cost.readoutBytesPerSample.mean, 0)}</td><td>${g.roi ? num(g.roi.accuracyGainPp) : '–'}</td><td>${g.completed}/${g.finished}</td></tr>`,
    )
    .join('')}</tbody>`;
}

function quantile(sorted, q) {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

function renderBox(s) {
  const groups = s.groups.filter((g) => g.devices.count > 0);
  const cats = groups.map(label);
  const values = groups.map((g) => s.chips.filter((c) => c.method === g.method && c.mode === g.mode && c.accuracy.mean !== null).map((c) => ({ seed: c.mismatchSeed, v: 100 * c.accuracy.mean })));
  const boxes = values.map((vs) => {
    const sorted = vs.map((x) => x.v).sort((a, b) => a - b);
    return [sorted[0], quantile(sorted, 0.25), quantile(sorted, 0.5), quantile(sorted, 0.75), sorted[sorted.length - 1]];
  });
  chart('ch-box').setOption(
    {
      grid: { left: 50, right: 10, top: 10, bottom: 70 },
      tooltip: { trigger: 'item' },
      xAxis: { type: 'category', data: cats, axisLabel: { rotate: 25, fontSize: 11 } },
      yAxis: { type: 'value', name: '%', scale: true },
      series: [
        { name: 'per-chip mean accuracy', type: 'boxplot', data: boxes.map((b, i) => ({ value: b, itemStyle: { borderColor: colorOf(groups[i]) } })) },
        { name: 'chips', type: 'scatter', symbolSize: 5, data: values.flatMap((vs, i) => vs.map((x) => ({ value: [cats[i], x.v], name: `chip ${x.seed}`, itemStyle: { color: colorOf(groups[i]) } }))), itemStyle: { opacity: 0.7 } },
      ],
    },
    true,
  );
}

function renderHeat(s) {
  const keys = [...new Set(s.lrBetaGrid.map((c) => `${c.method}|${c.mode}`))];
  const select = $('#heat-group');
  const rec = s.recommendation ? `${s.recommendation.method}|${s.recommendation.mode}` : null;
  if (!state.heatGroup || !keys.includes(state.heatGroup)) state.heatGroup = keys.includes(rec) ? rec : keys[0] ?? null;
  select.innerHTML = keys.map((k) => `<option value="${esc(k)}" ${k === state.heatGroup ? 'selected' : ''}>${esc(k.replace('|', ' · '))}</option>`).join('');
  select.onchange = () => {
    state.heatGroup = select.value;
    renderHeat(state.summary);
  };
  const cells = s.lrBetaGrid.filter((c) => `${c.method}|${c.mode}` === state.heatGroup && c.accuracy.mean !== null);
  const lrs = [...new Set(cells.map((c) => c.learningRate))].sort((a, b) => a - b);
  const betas = [...new Set(cells.map((c) => c.beta))].sort((a, b) => a - b);
  const vals = cells.map((c) => 100 * c.accuracy.mean);
  chart('ch-heat').setOption(
    {
      grid: { left: 60, right: 80, top: 10, bottom: 45 },
      tooltip: { formatter: (p) => `lr ${lrs[p.value[0]]}, β ${betas[p.value[1]]}: ${p.value[2].toFixed(1)} % (n = ${p.data.n})` },
      xAxis: { type: 'category', name: 'learning rate', nameLocation: 'middle', nameGap: 28, data: lrs.map(String) },
      yAxis: { type: 'category', name: 'β', data: betas.map(String) },
      visualMap: { min: vals.length ? Math.min(...vals) : 0, max: vals.length ? Math.max(...vals) : 100, calculable: true, orient: 'vertical', right: 0, top: 'center', precision: 1, itemHeight: 160 },
      series: [
        {
          name: 'mean accuracy',
          type: 'heatmap',
          label: { show: true, formatter: (p) => p.value[2].toFixed(1), fontSize: 11 },
          data: cells.map((c) => ({ value: [lrs.indexOf(c.learningRate), betas.indexOf(c.beta), 100 * c.accuracy.mean], n: c.accuracy.count })),
        },
      ],
    },
    true,
  );
}

function renderCurves(bands) {
  const series = [];
  for (const b of bands) {
    const g = { method: b.method, mode: b.mode };
    const name = label(g);
    const pts = b.epochs.filter((e) => e.accuracy.mean !== null);
    const lower = pts.map((e) => [e.epoch, 100 * (e.accuracy.mean - (e.accuracy.sd ?? 0))]);
    const width = pts.map((e) => [e.epoch, 200 * (e.accuracy.sd ?? 0)]);
    series.push({ name: `${name} band`, type: 'line', data: lower, stack: name, symbol: 'none', lineStyle: { opacity: 0 }, tooltip: { show: false } });
    series.push({ name: `${name} band`, type: 'line', data: width, stack: name, symbol: 'none', lineStyle: { opacity: 0 }, areaStyle: { color: colorOf(g), opacity: 0.15 }, tooltip: { show: false } });
    series.push({ name, type: 'line', data: pts.map((e) => [e.epoch, 100 * e.accuracy.mean]), symbol: 'none', lineStyle: { color: colorOf(g), width: 2 }, itemStyle: { color: colorOf(g) } });
  }
  chart('ch-curves').setOption(
    {
      grid: { left: 50, right: 10, top: 40, bottom: 35 },
      legend: { type: 'scroll', top: 0, data: bands.map((b) => label(b)), textStyle: { fontSize: 11 } },
      tooltip: { trigger: 'axis', valueFormatter: (v) => `${Number(v).toFixed(1)} %` },
      xAxis: { type: 'value', name: 'epoch', nameLocation: 'middle', nameGap: 22, minInterval: 1 },
      yAxis: { type: 'value', name: '%', scale: true },
      series,
    },
    true,
  );
}

function renderParallel(p) {
  const keys = [...new Set(p.rows.map((r) => `${r.method}|${r.mode}`))];
  const dims = [...p.axes, 'test accuracy %'];
  const parallelAxis = dims.map((name, dim) => {
    const vals = p.rows.map((r) => (dim < p.axes.length ? r.values[dim] : r.testAccuracy));
    const numeric = vals.every((v) => typeof v === 'number');
    return numeric
      ? { dim, name, type: 'value', scale: true, minInterval: vals.every((v) => Number.isInteger(v)) ? 1 : 0, nameTextStyle: { fontSize: 11 } }
      : { dim, name, type: 'category', data: [...new Set(vals.map(String))], nameTextStyle: { fontSize: 11 } };
  });
  chart('ch-parallel').setOption(
    {
      parallel: { left: 70, right: 60, top: 50, bottom: 20 },
      legend: { type: 'scroll', top: 0, data: keys.map((k) => k.replace('|', ' (') + ')'), textStyle: { fontSize: 11 } },
      parallelAxis,
      series: keys.map((k) => {
        const [method, mode] = k.split('|');
        return {
          name: `${method} (${mode})`,
          type: 'parallel',
          lineStyle: { width: 1, opacity: 0.35, color: colorOf({ method, mode }) },
          data: p.rows.filter((r) => r.method === method && r.mode === mode).map((r) => [...r.values.map((v) => (typeof v === 'number' ? v : String(v))), 100 * r.testAccuracy]),
        };
      }),
    },
    true,
  );
}

function renderAxis(s) {
  const axes = [...new Set(s.byAxis.map((a) => a.axis))];
  const select = $('#axis-select');
  if (!state.axis || !axes.includes(state.axis)) state.axis = axes.find((a) => a !== 'seed' && a !== 'chip.mismatchSeed') ?? axes[0] ?? null;
  select.innerHTML = axes.map((a) => `<option ${a === state.axis ? 'selected' : ''}>${esc(a)}</option>`).join('');
  select.onchange = () => {
    state.axis = select.value;
    renderAxis(state.summary);
  };
  const rows = s.byAxis.filter((a) => a.axis === state.axis && a.accuracy.mean !== null);
  const values = [...new Set(rows.map((r) => JSON.stringify(r.value)))];
  const keys = [...new Set(rows.map((r) => `${r.method}|${r.mode}`))];
  chart('ch-axis').setOption(
    {
      grid: { left: 50, right: 10, top: 40, bottom: 35 },
      legend: { type: 'scroll', top: 0, textStyle: { fontSize: 11 } },
      tooltip: { trigger: 'axis', valueFormatter: (v) => `${Number(v).toFixed(1)} %` },
      xAxis: { type: 'category', name: state.axis ?? '', nameLocation: 'middle', nameGap: 22, data: values },
      yAxis: { type: 'value', name: '%', scale: true },
      series: keys.map((k) => {
        const [method, mode] = k.split('|');
        const byValue = new Map(rows.filter((r) => r.method === method && r.mode === mode).map((r) => [JSON.stringify(r.value), 100 * r.accuracy.mean]));
        return { name: `${method} (${mode})`, type: 'line', data: values.map((v) => byValue.get(v) ?? null), itemStyle: { color: colorOf({ method, mode }) }, lineStyle: { color: colorOf({ method, mode }) } };
      }),
    },
    true,
  );
}

function renderChips(s) {
  const groups = s.groups.filter((g) => g.devices.count > 0);
  const seeds = [...new Set(s.chips.map((c) => c.mismatchSeed))].sort((a, b) => a - b);
  const cell = (seed, g) => {
    const c = s.chips.find((x) => x.mismatchSeed === seed && x.method === g.method && x.mode === g.mode);
    return c ? `${pct(c.accuracy.mean)} <span class="muted">(${c.accuracy.count})</span>` : '–';
  };
  $('#chips').innerHTML = `<thead><tr><th>Chip</th>${groups.map((g) => `<th>${esc(label(g))}</th>`).join('')}</tr></thead><tbody>${seeds
    .map((seed) => `<tr><td>${seed}</td>${groups.map((g) => `<td>${cell(seed, g)}</td>`).join('')}</tr>`)
    .join('')}</tbody>`;
}

async function renderTrials(sweepId) {
  const limit = 15;
  const q = new URLSearchParams({ offset: String(state.trialPage * limit), limit: String(limit), sort: state.trialSort, fields: 'method,mode,seed,mismatchSeed,status,epochsDone,result' });
  const page = await getJson(`/api/sweeps/${encodeURIComponent(sweepId)}/trials?${q}`);
  const pages = Math.max(1, Math.ceil(page.total / limit));
  $('#page-info').textContent = `page ${state.trialPage + 1} of ${pages} (${page.total} trials)`;
  $('#prev').onclick = () => { if (state.trialPage > 0) { state.trialPage--; void renderTrials(sweepId); } };
  $('#next').onclick = () => { if (state.trialPage + 1 < pages) { state.trialPage++; void renderTrials(sweepId); } };
  $('#csv').href = `/api/sweeps/${encodeURIComponent(sweepId)}/export.csv`;
  $('#json').href = `/api/sweeps/${encodeURIComponent(sweepId)}/export.json`;
  const sortable = (field, text) => `<th><a href="#" data-sort="${field}">${text}${state.trialSort.startsWith(field + ':') ? (state.trialSort.endsWith('desc') ? ' ▼' : ' ▲') : ''}</a></th>`;
  $('#trials').innerHTML = `<thead><tr><th>Trial</th><th class="l">Method (mode)</th>${sortable('seed', 'Seed')}${sortable('mismatchSeed', 'Chip')}<th class="l">Status</th><th>Epochs</th>${sortable('testAccuracy', 'Test acc.')}${sortable('wallTimeMs', 'Wall')}${sortable('hardwareTimeMs', 'Chip time')}</tr></thead><tbody>${page.trials
    .map((t) => `<tr><td>${esc(t.trialId.slice(0, 10))}</td><td class="l">${esc(t.method)} (${esc(t.mode)})</td><td>${t.seed}</td><td>${t.mismatchSeed}</td><td class="l">${esc(t.status)}</td><td>${t.epochsDone}</td><td>${pct(t.result?.testAccuracy)}</td><td>${duration(t.result?.wallTimeMs)}</td><td>${duration(t.result?.hardwareTimeMs)}</td></tr>`)
    .join('')}</tbody>`;
  for (const a of document.querySelectorAll('#trials [data-sort]')) {
    a.onclick = (ev) => {
      ev.preventDefault();
      const field = a.getAttribute('data-sort');
      state.trialSort = state.trialSort === `${field}:desc` ? `${field}:asc` : `${field}:desc`;
      state.trialPage = 0;
      void renderTrials(sweepId);
    };
  }
}

async function refresh(sweepId, first) {
  const id = encodeURIComponent(sweepId);
  const [summary, { bands }, parallel, estimate] = await Promise.all([
    getJson(`/api/sweeps/${id}/summary`),
    getJson(`/api/sweeps/${id}/curve-bands`),
    getJson(`/api/sweeps/${id}/parallel?limit=500`),
    getJson(`/api/sweeps/${id}/estimate`),
  ]);
  if (location.hash !== `#/sweep/${id}` && location.hash !== `#/sweep/${sweepId}`) return;
  state.summary = summary;
  state.bands = bands;
  state.parallel = parallel;
  renderManager(summary);
  renderEstimate(estimate);
  renderGroups(summary);
  renderAnalysis(summary);
  renderBox(summary);
  renderHeat(summary);
  renderCurves(bands);
  renderParallel(parallel);
  renderAxis(summary);
  renderChips(summary);
  await renderTrials(sweepId);
  await renderField(sweepId);
  const running = summary.status === 'running' || summary.byStatus.pending + summary.byStatus.running > 0;
  $('#live').hidden = !running;
  state.rendered = (state.rendered || 0) + 1;
  if (running) state.timer = setTimeout(() => void refresh(sweepId, false).catch(showError), state.pollMs);
  void first;
}

async function renderSweep(sweepId) {
  stopPolling();
  disposeCharts();
  state.trialPage = 0;
  skeleton();
  await refresh(sweepId, true);
}

function showError(error) {
  $('#app').insertAdjacentHTML('afterbegin', `<p class="panel" style="color:var(--bad)">${esc(error.message || error)}</p>`);
}

async function route() {
  const m = location.hash.match(/^#\/sweep\/(.+)$/);
  const compare = location.hash.match(/^#\/compare\/(.+)$/);
  try {
    if (m) await renderSweep(decodeURIComponent(m[1]));
    else if (compare) await renderCompare(compare[1].split(',').map(decodeURIComponent));
    else await renderList();
  } catch (error) {
    showError(error);
  }
}

// ------------------------------------------------------------------ field conditions
// Shown only for sweeps whose trials ran an operation study (config.operation): accuracy vs
// temperature and vs age per method × mode (mean, dashed = ± sd over trials, i.e. chips and seeds),
// and each maintenance policy's chip time against the accuracy it kept (GET /api/sweeps/:id/field).

function fieldSkeleton() {
  if ($('#field')) return;
  $('#app').insertAdjacentHTML(
    'beforeend',
    `<section id="field" data-testid="field" hidden>
      <h2>Field conditions: temperature, ageing, maintenance</h2>
      <p class="muted" id="field-note"></p>
      <div class="grid2">
        <div class="panel"><div class="toolbar"><h3>Accuracy vs temperature (mean ± sd over chips)</h3><select id="field-policy"></select></div><div id="ch-field-temp" class="chart"></div></div>
        <div class="panel"><h3>Accuracy vs age, hours of operation (mean ± sd over chips)</h3><div id="ch-field-age" class="chart"></div></div>
        <div class="panel"><h3>Maintenance: chip time over the schedule vs worst accuracy kept</h3><div id="ch-field-cost" class="chart"></div></div>
        <div class="panel"><h3>Policies per method × mode</h3><div class="scroll"><table id="field-policies"></table></div></div>
      </div>
    </section>`,
  );
}

function fieldSeries(curves, policy) {
  const series = [];
  const names = [];
  for (const c of curves.filter((x) => x.policy === policy)) {
    const g = { method: c.method, mode: c.mode };
    const name = label(g);
    names.push(name);
    const pts = c.points.filter((p) => p.accuracy.mean !== null);
    // ± sd over trials as two faint dashed lines (a stacked band misdraws where sd is 0)
    for (const sign of [-1, 1]) {
      series.push({ name: `${name} ± sd`, type: 'line', data: pts.map((p) => [p.x, 100 * (p.accuracy.mean + sign * (p.accuracy.sd ?? 0))]), symbol: 'none', lineStyle: { color: colorOf(g), width: 1, type: 'dashed', opacity: 0.6 }, tooltip: { show: false } });
    }
    series.push({ name, type: 'line', data: pts.map((p) => [p.x, 100 * p.accuracy.mean]), symbolSize: 6, lineStyle: { color: colorOf(g), width: 2 }, itemStyle: { color: colorOf(g) } });
  }
  return { series, names };
}

function fieldChart(id, curves, policy, xName) {
  const { series, names } = fieldSeries(curves, policy);
  chart(id).setOption(
    {
      grid: { left: 50, right: 10, top: 40, bottom: 35 },
      legend: { type: 'scroll', top: 0, data: names, textStyle: { fontSize: 11 } },
      tooltip: { trigger: 'axis', valueFormatter: (v) => `${Number(v).toFixed(1)} %` },
      xAxis: { type: 'value', name: xName, nameLocation: 'middle', nameGap: 22, scale: true },
      yAxis: { type: 'value', name: '%', scale: true },
      series,
    },
    true,
  );
}

function renderFieldSummary(f) {
  const section = $('#field');
  section.hidden = f.trials === 0;
  if (f.trials === 0) return;
  const policies = [...new Set(f.temperature.concat(f.age).map((c) => c.policy))];
  const select = $('#field-policy');
  if (!state.fieldPolicy || !policies.includes(state.fieldPolicy)) state.fieldPolicy = policies.includes('none') ? 'none' : policies[0];
  select.innerHTML = policies.map((p) => `<option value="${esc(p)}"${p === state.fieldPolicy ? ' selected' : ''}>policy: ${esc(p)}</option>`).join('');
  select.onchange = () => {
    state.fieldPolicy = select.value;
    renderFieldSummary(state.field);
  };
  fieldChart('ch-field-temp', f.temperature, state.fieldPolicy, '°C');
  fieldChart('ch-field-age', f.age, state.fieldPolicy, 'hours');
  $('#field-note').textContent = f.groups
    .map((g) => {
      const best = Object.entries(g.cheapest).sort((a, b) => b[1] - a[1])[0];
      return `${label(g)}: deployed ${pct(g.deploymentAccuracy.mean)} %, cheapest policy keeping accuracy: ${best ? `${best[0]} (${best[1]} of ${g.trials})` : '–'}`;
    })
    .join(' · ');
  const groups = [...new Set(f.policies.map((p) => `${p.method}|${p.mode}`))];
  const series = groups.map((key) => {
    const [method, mode] = key.split('|');
    const g = { method, mode };
    const pts = f.policies.filter((p) => p.method === method && p.mode === mode);
    return {
      name: label(g),
      type: 'scatter',
      symbolSize: 10,
      itemStyle: { color: colorOf(g) },
      label: { show: true, position: 'right', formatter: (d) => d.data[2], fontSize: 10 },
      data: pts.map((p) => [Math.max(p.hardwareTimeMs, 0.001), 100 * (p.worstAccuracy.mean ?? 0), p.policy]),
    };
  });
  chart('ch-field-cost').setOption(
    {
      grid: { left: 50, right: 60, top: 40, bottom: 35 },
      legend: { type: 'scroll', top: 0, textStyle: { fontSize: 11 } },
      tooltip: { formatter: (d) => `${esc(d.seriesName)}, ${esc(d.data[2])}: ${duration(d.data[0])} chip time, worst ${Number(d.data[1]).toFixed(1)} %` },
      xAxis: { type: 'log', name: 'chip time per trial (ms)', nameLocation: 'middle', nameGap: 22 },
      yAxis: { type: 'value', name: 'worst %', scale: true },
      series,
    },
    true,
  );
  $('#field-policies').innerHTML = `<thead><tr><th>Method (mode)</th><th class="l">Policy</th><th>Trials</th><th>Mean acc.</th><th>Worst acc.</th><th>Kept</th><th>Chip time</th><th>Energy (J)</th></tr></thead><tbody>${f.policies
    .map((p) => `<tr><td>${esc(label(p))}</td><td class="l">${esc(p.policy)}</td><td>${p.trials}</td><td>${pct(p.meanAccuracy)}</td><td>${pct(p.worstAccuracy.mean)}</td><td>${pct(p.keptFraction)} %</td><td>${duration(p.hardwareTimeMs)}</td><td>${num(p.energyJ, 3)}</td></tr>`)
    .join('')}</tbody>`;
}

async function renderField(sweepId) {
  const f = await getJson(`/api/sweeps/${encodeURIComponent(sweepId)}/field`);
  fieldSkeleton();
  state.field = f;
  renderFieldSummary(f);
}

window.addEventListener('hashchange', () => void route());
getJson('/api/config')
  .then((c) => { state.pollMs = c.pollMs; })
  .catch(() => undefined)
  .finally(() => void route());
