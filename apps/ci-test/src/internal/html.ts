import type { GateReport, VersionReport } from '../types.js';
import {
  formatPercent,
  formatRatio,
  formatThreshold,
  escapeXml as h,
  metadataText,
  shortfallMessage,
} from './format.js';

/** Returns a data: URI for the test image at `index`. */
export type Thumbnail = (index: number) => string;

// Cells of the confusion matrix that hold mistakes reach full colour at this share of the true class.
const ERROR_SATURATION = 0.25;

export function renderHtml(report: GateReport, thumbnail: Thumbnail): string {
  const title = `Accuracy gate: ${report.model} — ${report.passed ? 'passed' : 'failed'}`;
  const latest = Math.max(...report.versions.map((v) => v.version));
  const open = (v: VersionReport) => v.version === latest || (v.gated && !v.passed);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="@fmnist/ci-test">
<title>${h(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header class="top">
  <div class="wrap top-inner">
    <div>
      <p class="eyebrow">Accuracy gate</p>
      <h1>${h(report.model)}</h1>
      <p class="sub">Test set <code>${h(report.testSet.source)}</code> · ${report.testSet.count.toLocaleString('en-US')} images · generated <time datetime="${h(report.generatedAt)}">${h(displayTime(report.generatedAt))}</time></p>
    </div>
    <p class="status ${report.passed ? 'is-pass' : 'is-fail'}" role="status">${report.passed ? '✓ Passed' : '✕ Failed'}</p>
  </div>
</header>
<main class="wrap">
${renderSummary(report, latest)}
${renderVersionsTable(report, latest)}
<div class="toolbar" data-js-only hidden>
  <button type="button" data-toggle="open">Expand all versions</button>
  <button type="button" data-toggle="close">Collapse all</button>
</div>
${report.versions.map((v) => renderVersion(report, v, v.version === latest, open(v), thumbnail)).join('\n')}
</main>
<footer class="wrap foot">Accuracy is the share of test images whose most probable class is the true class; loss is the mean cross-entropy. Precision: of the images predicted as a class, the share that are it. Recall: of the images of a class, the share found.</footer>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

function renderSummary(report: GateReport, latest: number): string {
  const passed = report.versions.filter((v) => v.passed).length;
  const best = report.versions.reduce((a, b) => (b.metrics.accuracy > a.metrics.accuracy ? b : a));
  const latestV = report.versions.find((v) => v.version === latest)!;
  const stat = (label: string, value: string, note: string) =>
    `<div class="stat"><dt>${h(label)}</dt><dd><span class="stat-value">${value}</span><span class="stat-note">${note}</span></dd></div>`;
  return `<dl class="stats" aria-label="Summary">
${stat('Threshold', `≥ ${formatThreshold(report.threshold)}`, report.gate === 'all' ? 'every version must pass' : 'the latest version must pass')}
${stat('Versions passing', `${passed} / ${report.versions.length}`, report.versions.length === 1 ? 'one version tested' : `${report.versions.length} versions tested`)}
${stat('Latest', `v${latest}`, `accuracy ${formatRatio(latestV.metrics.accuracy)}`)}
${stat('Best accuracy', formatRatio(best.metrics.accuracy), `v${best.version}`)}
</dl>`;
}

function renderVersionsTable(report: GateReport, latest: number): string {
  const accuracies = report.versions.map((v) => v.metrics.accuracy);
  // The meter starts a little below the lowest value so that differences of a point or two stay visible.
  const lo = Math.max(0, Math.floor((Math.min(...accuracies, report.threshold) - 0.05) * 10) / 10);
  const pos = (a: number) => `${(((a - lo) / (1 - lo)) * 100).toFixed(2)}%`;
  const rows = [...report.versions]
    .sort((a, b) => b.version - a.version)
    .map((v) => {
      const meta = flatten(v.metadata);
      const shown = meta.slice(0, 6);
      const rest = meta.slice(6);
      const dl = (entries: Array<[string, string]>) =>
        `<dl class="kv">${entries.map(([k, val]) => `<dt>${h(k)}</dt><dd>${h(val)}</dd>`).join('')}</dl>`;
      const metaCell =
        meta.length === 0
          ? '<span class="muted">none recorded</span>'
          : `${dl(shown)}${rest.length ? `<details class="more"><summary>${rest.length} more</summary>${dl(rest)}</details>` : ''}`;
      return `<tr class="${v.passed ? '' : 'row-fail'}">
  <th scope="row"><a href="#v${v.version}">v${v.version}</a>${v.version === latest ? ' <span class="tag">latest</span>' : ''}</th>
  <td>${resultBadge(v, report)}</td>
  <td class="num"><span class="acc">${formatRatio(v.metrics.accuracy)}</span>
    <span class="meter" aria-hidden="true"><span class="meter-fill ${v.passed ? 'is-pass' : 'is-fail'}" style="width:${pos(v.metrics.accuracy)}"></span><span class="meter-mark" style="left:${pos(report.threshold)}"></span></span></td>
  <td class="num">${formatRatio(v.metrics.loss)}</td>
  <td class="num">${Math.round(v.timings.imagesPerSecond).toLocaleString('en-US')}<span class="unit"> img/s</span></td>
  <td>${metaCell}</td>
</tr>`;
    })
    .join('\n');
  return `<section aria-labelledby="versions-title" class="card">
<h2 id="versions-title">Versions</h2>
<div class="scroll">
<table class="versions">
<caption class="sr-only">Registered versions of ${h(report.model)} with their accuracy on the test set, gate result and metadata. The bar under each accuracy starts at ${lo.toFixed(1)}; the mark is the threshold.</caption>
<thead><tr><th scope="col">Version</th><th scope="col">Result</th><th scope="col" class="num">Accuracy</th><th scope="col" class="num">Loss</th><th scope="col" class="num">Throughput</th><th scope="col">Metadata</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</div>
</section>`;
}

function resultBadge(v: VersionReport, report: GateReport): string {
  if (v.passed)
    return `<span class="badge is-pass">Pass</span>${v.gated ? '' : ' <span class="muted">not gated</span>'}`;
  const why = shortfallMessage(v.metrics.accuracy, report.threshold);
  return v.gated
    ? `<span class="badge is-fail" title="${h(why)}">Fail</span> <span class="why">−${formatRatio(report.threshold - v.metrics.accuracy)}</span>`
    : `<span class="badge is-warn" title="${h(why)}">Below</span> <span class="muted">not gated</span>`;
}

function renderVersion(
  report: GateReport,
  v: VersionReport,
  isLatest: boolean,
  open: boolean,
  thumbnail: Thumbnail,
): string {
  const id = `v${v.version}`;
  return `<section id="${id}" class="version" aria-labelledby="${id}-title">
<details${open ? ' open' : ''}>
<summary><h2 id="${id}-title">v${v.version}${isLatest ? ' <span class="tag">latest</span>' : ''}</h2> ${resultBadge(v, report)}
<span class="summary-figures">accuracy <strong>${formatRatio(v.metrics.accuracy)}</strong> · loss ${formatRatio(v.metrics.loss)} · loaded in ${formatMs(v.timings.loadMs)}, predicted in ${formatMs(v.timings.predictMs)}</span></summary>
<div class="grid">
  <figure class="card heat">
    <figcaption><h3>Confusion matrix</h3><p class="hint">Rows are the true class, columns the prediction; colour is the share of the true class.</p></figcaption>
    ${renderHeatmap(v, id)}
    ${renderLegend()}
    <details class="as-table"><summary>Show as a table</summary>${renderConfusionTable(v)}</details>
  </figure>
  <div class="card">
    <h3>Precision and recall per class</h3>
    ${renderBars(v)}
  </div>
</div>
<div class="card">
  <h3>Most confident mistakes <span class="count">${v.misclassified.length}</span></h3>
  ${renderMistakes(v, thumbnail)}
</div>
</details>
</section>`;
}

function renderHeatmap(v: VersionReport, id: string): string {
  const names = v.perClass.map((c) => c.name);
  const n = names.length;
  const cell = 40;
  const left = 104;
  const top = 4;
  const gridSize = cell * n;
  const width = left + gridSize + 8;
  const height = top + gridSize + 94;
  const parts: string[] = [];
  for (let t = 0; t < n; t++) {
    const row = v.confusion[t]!;
    const total = row.reduce((s, x) => s + x, 0);
    for (let p = 0; p < n; p++) {
      const count = row[p]!;
      const share = total === 0 ? 0 : count / total;
      const fill = cellColour(t === p, share, count);
      const x = left + p * cell;
      const y = top + t * cell;
      const ink = count === 0 ? '#94a3b8' : luminance(fill) < 0.45 ? '#ffffff' : '#0f172a';
      const label = `True ${names[t]}, predicted ${names[p]}: ${count} (${formatPercent(share)} of ${names[t]})`;
      parts.push(
        `<g class="cell"><title>${h(label)}</title><rect x="${x}" y="${y}" width="${cell - 2}" height="${cell - 2}" rx="4" fill="${fill}"/><text x="${x + (cell - 2) / 2}" y="${y + (cell - 2) / 2}" fill="${ink}" font-size="${count >= 10000 ? 10 : 12}" text-anchor="middle" dominant-baseline="central">${count}</text></g>`,
      );
    }
  }
  const yLabels = names
    .map(
      (name, i) =>
        `<text x="${left - 8}" y="${top + i * cell + (cell - 2) / 2}" text-anchor="end" dominant-baseline="central">${h(name)}</text>`,
    )
    .join('');
  const xLabels = names
    .map((name, i) => {
      const x = left + i * cell + (cell - 2) / 2;
      const y = top + gridSize + 6;
      return `<text x="${x}" y="${y}" text-anchor="end" dominant-baseline="central" transform="rotate(-45 ${x} ${y})">${h(name)}</text>`;
    })
    .join('');
  return `<svg class="heatmap" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="${id}-cm-title ${id}-cm-desc" xmlns="http://www.w3.org/2000/svg">
<title id="${id}-cm-title">Confusion matrix of v${v.version}</title>
<desc id="${id}-cm-desc">${n} by ${n} grid of counts: rows are the true class, columns the predicted class. The diagonal holds the correct predictions.</desc>
<text class="axis-title" x="${left + gridSize / 2}" y="${height - 6}" text-anchor="middle">Predicted class →</text>
<text class="axis-title" x="14" y="${top + gridSize / 2}" text-anchor="middle" transform="rotate(-90 14 ${top + gridSize / 2})">← True class</text>
<g class="labels">${yLabels}${xLabels}</g>
${parts.join('\n')}
</svg>`;
}

function renderLegend(): string {
  return `<div class="legend" aria-hidden="true">
  <span class="legend-item"><span class="swatch ramp-ok"></span><span>Correct: 0 → 100% of the class</span></span>
  <span class="legend-item"><span class="swatch ramp-err"></span><span>Mistakes: 0 → ${Math.round(ERROR_SATURATION * 100)}%+ of the class</span></span>
</div>`;
}

function renderConfusionTable(v: VersionReport): string {
  const names = v.perClass.map((c) => c.name);
  return `<div class="scroll"><table class="confusion">
<caption>Confusion matrix of v${v.version}: rows are the true class, columns the predicted class</caption>
<thead><tr><th scope="col">True \\ predicted</th>${names.map((n) => `<th scope="col">${h(n)}</th>`).join('')}</tr></thead>
<tbody>${v.confusion
    .map(
      (row, t) =>
        `<tr><th scope="row">${h(names[t])}</th>${row.map((c, p) => `<td class="num${t === p ? ' diag' : ''}">${c}</td>`).join('')}</tr>`,
    )
    .join('')}</tbody>
</table></div>`;
}

function renderBars(v: VersionReport): string {
  const bar = (value: number | null, kind: string) =>
    value === null
      ? '<span class="muted">—</span>'
      : `<span class="bar-wrap"><span class="bar bar-${kind}" aria-hidden="true"><span style="width:${(value * 100).toFixed(2)}%"></span></span><span class="bar-value">${formatPercent(value)}</span></span>`;
  return `<div class="scroll"><table class="per-class">
<caption class="sr-only">Precision and recall of v${v.version} for each class</caption>
<thead><tr><th scope="col">Class</th><th scope="col">Precision</th><th scope="col">Recall</th><th scope="col" class="num">Support</th></tr></thead>
<tbody>
${v.perClass
  .map(
    (c) =>
      `<tr><th scope="row">${h(c.name)}</th><td>${bar(c.precision, 'precision')}</td><td>${bar(c.recall, 'recall')}</td><td class="num">${c.support.toLocaleString('en-US')}</td></tr>`,
  )
  .join('\n')}
</tbody>
</table></div>`;
}

function renderMistakes(v: VersionReport, thumbnail: Thumbnail): string {
  if (v.misclassified.length === 0) return '<p class="muted">No test image was misclassified.</p>';
  const name = (c: number) => v.perClass[c]?.name ?? String(c);
  return `<ul class="mistakes">
${v.misclassified
  .map((m) => {
    const conf = formatPercent(m.confidence, 0);
    const alt = `Test image ${m.index}: a ${name(m.true)} predicted as ${name(m.predicted)} with ${conf} confidence`;
    return `<li><figure><img src="${thumbnail(m.index)}" width="84" height="84" alt="${h(alt)}"><figcaption><span class="truth">${h(name(m.true))}</span><span class="pred">as ${h(name(m.predicted))}</span><span class="conf"><span class="conf-bar" aria-hidden="true"><span style="width:${(m.confidence * 100).toFixed(1)}%"></span></span>${conf} · #${m.index}</span></figcaption></figure></li>`;
  })
  .join('\n')}
</ul>`;
}

/** Nested plain objects become dotted keys (one level deep is what registries store); the rest is text. */
function flatten(metadata: Record<string, unknown>): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(metadata)) {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const entries = Object.entries(value as Record<string, unknown>);
      if (entries.length === 0) out.push([key, '{}']);
      for (const [k, val] of entries) out.push([`${key}.${k}`, metadataText(val)]);
    } else out.push([key, metadataText(value)]);
  }
  return out;
}

function cellColour(diagonal: boolean, share: number, count: number): string {
  if (count === 0) return '#f8fafc';
  // Blue for the correct predictions by their share; orange-red for mistakes, saturating early.
  return diagonal
    ? mix([239, 246, 255], [29, 78, 216], 0.15 + 0.85 * share)
    : mix([255, 237, 213], [194, 65, 12], Math.min(1, share / ERROR_SATURATION));
}

function mix(a: number[], b: number[], t: number): string {
  const c = a.map((v, i) => Math.round(v + (b[i]! - v) * t));
  return `#${c.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const v = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function displayTime(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]} ${m[2]} UTC` : iso;
}

const SCRIPT = `
(function () {
  var bar = document.querySelector('[data-js-only]');
  if (!bar) return;
  bar.hidden = false;
  bar.addEventListener('click', function (e) {
    var b = e.target.closest('button[data-toggle]');
    if (!b) return;
    var open = b.getAttribute('data-toggle') === 'open';
    document.querySelectorAll('section.version > details').forEach(function (d) { d.open = open; });
  });
  document.querySelectorAll('table.versions a[href^="#v"]').forEach(function (a) {
    a.addEventListener('click', function () {
      var d = document.querySelector(a.getAttribute('href') + ' > details');
      if (d) d.open = true;
    });
  });
})();`;

const STYLE = `
:root {
  color-scheme: light;
  --bg: #f4f6fb; --card: #ffffff; --ink: #0f172a; --muted: #475569; --line: #e2e8f0;
  --pass: #15803d; --pass-bg: #dcfce7; --fail: #b91c1c; --fail-bg: #fee2e2; --warn: #92400e; --warn-bg: #fef3c7;
  --accent: #1d4ed8; --precision: #4f46e5; --recall: #0f766e;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-size: 15px; line-height: 1.5; color: var(--ink); background: var(--bg);
}
* { box-sizing: border-box; }
body { margin: 0; }
.wrap { max-width: 1180px; margin: 0 auto; padding: 0 24px; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: .92em; background: rgba(15,23,42,.06); padding: 1px 5px; border-radius: 4px; }
.top { background: #0f172a; color: #f8fafc; padding: 28px 0 64px; }
.top code { background: rgba(255,255,255,.12); color: #f8fafc; }
.top-inner { display: flex; justify-content: space-between; align-items: flex-start; gap: 24px; flex-wrap: wrap; }
.eyebrow { margin: 0; text-transform: uppercase; letter-spacing: .08em; font-size: 12px; font-weight: 600; color: #93c5fd; }
h1 { margin: 4px 0 6px; font-size: 30px; line-height: 1.2; }
.sub { margin: 0; color: #cbd5e1; }
.status { margin: 0; font-weight: 700; font-size: 18px; padding: 8px 18px; border-radius: 999px; }
.status.is-pass { background: var(--pass-bg); color: #14532d; }
.status.is-fail { background: var(--fail-bg); color: #7f1d1d; }
main { margin-top: -44px; }
.stats { display: grid; grid-template-columns: repeat(auto-fit, minmax(200px, 1fr)); gap: 16px; margin: 0 0 20px; }
.stat { background: var(--card); border-radius: 12px; padding: 14px 18px; box-shadow: 0 1px 3px rgba(15,23,42,.08), 0 4px 16px rgba(15,23,42,.05); }
.stat dt { color: var(--muted); font-size: 13px; font-weight: 600; }
.stat dd { margin: 2px 0 0; display: flex; flex-direction: column; }
.stat-value { font-size: 24px; font-weight: 700; font-variant-numeric: tabular-nums; }
.stat-note { color: var(--muted); font-size: 13px; }
.card { background: var(--card); border-radius: 12px; padding: 18px 20px; box-shadow: 0 1px 3px rgba(15,23,42,.08), 0 4px 16px rgba(15,23,42,.05); margin: 0 0 20px; }
h2 { font-size: 20px; margin: 0 0 12px; }
h3 { font-size: 16px; margin: 0 0 10px; }
.hint { margin: -6px 0 10px; color: var(--muted); font-size: 13px; }
.muted { color: var(--muted); }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 8px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
thead th { font-size: 12px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); border-bottom: 2px solid var(--line); }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.unit { color: var(--muted); font-size: 12px; }
table.versions th[scope=row] { white-space: nowrap; font-size: 16px; }
table.versions a { color: var(--accent); text-decoration: none; }
table.versions a:hover, table.versions a:focus { text-decoration: underline; }
.row-fail { background: #fff7f7; }
.tag { display: inline-block; font-size: 11px; font-weight: 600; text-transform: uppercase; letter-spacing: .05em; color: var(--accent); background: #dbeafe; border-radius: 4px; padding: 0 6px; vertical-align: middle; }
.badge { display: inline-block; font-size: 12px; font-weight: 700; border-radius: 999px; padding: 1px 10px; }
.badge.is-pass { background: var(--pass-bg); color: var(--pass); }
.badge.is-fail { background: var(--fail-bg); color: var(--fail); }
.badge.is-warn { background: var(--warn-bg); color: var(--warn); }
.why { color: var(--fail); font-size: 13px; font-variant-numeric: tabular-nums; }
.acc { font-weight: 700; }
.meter { display: block; position: relative; height: 6px; width: 120px; margin: 6px 0 0 auto; background: var(--line); border-radius: 3px; }
.meter-fill { position: absolute; left: 0; top: 0; bottom: 0; border-radius: 3px; }
.meter-fill.is-pass { background: var(--pass); }
.meter-fill.is-fail { background: var(--fail); }
.meter-mark { position: absolute; top: -3px; bottom: -3px; width: 2px; background: var(--ink); }
.kv { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0; font-size: 13px; }
.kv dt { color: var(--muted); }
.kv dd { margin: 0; font-family: ui-monospace, Menlo, Consolas, monospace; word-break: break-all; }
details.more summary { cursor: pointer; color: var(--accent); font-size: 13px; margin-top: 4px; }
.toolbar { display: flex; gap: 8px; justify-content: flex-end; margin: 0 0 12px; }
.toolbar[hidden] { display: none; }
button { font: inherit; font-size: 13px; border: 1px solid #cbd5e1; background: var(--card); color: var(--ink); border-radius: 8px; padding: 5px 12px; cursor: pointer; }
button:hover { background: #f1f5f9; }
button:focus-visible, summary:focus-visible, a:focus-visible { outline: 3px solid #93c5fd; outline-offset: 2px; }
.version > details > summary { list-style: none; cursor: pointer; display: flex; align-items: center; gap: 12px; flex-wrap: wrap; background: var(--card); border-radius: 12px; padding: 14px 20px; margin: 0 0 16px; box-shadow: 0 1px 3px rgba(15,23,42,.08); }
.version > details > summary::-webkit-details-marker { display: none; }
.version > details > summary::before { content: "▸"; color: var(--muted); transition: transform .15s; }
.version > details[open] > summary::before { transform: rotate(90deg); }
.version > details > summary h2 { margin: 0; }
.summary-figures { color: var(--muted); font-size: 14px; margin-left: auto; font-variant-numeric: tabular-nums; }
.summary-figures strong { color: var(--ink); }
.grid { display: grid; grid-template-columns: minmax(0, 1.1fr) minmax(0, 1fr); gap: 20px; }
@media (max-width: 900px) { .grid { grid-template-columns: 1fr; } }
figure { margin: 0; }
.heat .heatmap { width: 100%; max-width: 560px; height: auto; display: block; }
.heatmap .labels text { font-size: 12px; fill: #334155; }
.heatmap .axis-title { font-size: 12px; font-weight: 600; fill: var(--muted); }
.heatmap text { font-family: inherit; font-variant-numeric: tabular-nums; }
.heatmap .cell rect { stroke: transparent; }
.heatmap .cell:hover rect { stroke: var(--ink); stroke-width: 2; }
.legend { display: flex; flex-wrap: wrap; gap: 8px 20px; font-size: 12px; color: var(--muted); margin: 6px 0 0; }
.legend-item { display: inline-flex; align-items: center; gap: 6px; }
.swatch { display: inline-block; width: 72px; height: 10px; border-radius: 3px; }
.ramp-ok { background: linear-gradient(90deg, #d6e4fc, #1d4ed8); }
.ramp-err { background: linear-gradient(90deg, #ffedd5, #c2410c); }
details.as-table { margin-top: 10px; font-size: 13px; }
details.as-table summary { cursor: pointer; color: var(--accent); }
table.confusion th, table.confusion td { padding: 4px 6px; font-size: 12px; }
table.confusion caption { text-align: left; color: var(--muted); padding: 6px 0; }
table.confusion .diag { font-weight: 700; background: #eff6ff; }
table.per-class td, table.per-class th { padding: 7px 8px; }
table.per-class th[scope=row] { white-space: nowrap; font-weight: 500; }
.bar-wrap { display: flex; align-items: center; gap: 8px; }
.bar { flex: 1; min-width: 60px; height: 10px; background: var(--line); border-radius: 5px; overflow: hidden; }
.bar > span { display: block; height: 100%; border-radius: 5px; }
.bar-precision > span { background: var(--precision); }
.bar-recall > span { background: var(--recall); }
.bar-value { width: 52px; text-align: right; font-variant-numeric: tabular-nums; font-size: 13px; }
.count { display: inline-block; font-size: 12px; font-weight: 600; color: var(--muted); background: #f1f5f9; border-radius: 999px; padding: 0 8px; vertical-align: middle; }
.mistakes { list-style: none; margin: 0; padding: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(112px, 1fr)); gap: 14px; }
.mistakes figure { display: flex; flex-direction: column; align-items: center; text-align: center; }
.mistakes img { width: 84px; height: 84px; image-rendering: pixelated; border-radius: 6px; background: #000; box-shadow: 0 0 0 1px rgba(15,23,42,.15); }
.mistakes figcaption { display: flex; flex-direction: column; margin-top: 6px; font-size: 12px; line-height: 1.35; }
.truth { font-weight: 700; }
.pred { color: var(--fail); }
.conf { color: var(--muted); font-variant-numeric: tabular-nums; }
.conf-bar { display: block; width: 64px; height: 4px; margin: 3px auto; background: var(--line); border-radius: 2px; overflow: hidden; }
.conf-bar > span { display: block; height: 100%; background: var(--fail); }
.foot { color: var(--muted); font-size: 13px; padding-bottom: 32px; }
@media print { .toolbar { display: none; } .top { padding-bottom: 24px; } main { margin-top: 12px; } }
`;
