import type { GateReport, VersionReport } from '../../types.js';
import { formatRatio, formatThreshold, escapeXml as h, metadataText, shortfallMessage } from '../format.js';
import { SCRIPT, STYLE } from './assets.js';
import {
  renderBars,
  renderConfusionTable,
  renderHeatmap,
  renderLegend,
  renderMistakes,
  type Thumbnail,
} from './charts.js';

export type { Thumbnail } from './charts.js';

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

function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function displayTime(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]} ${m[2]} UTC` : iso;
}
