// The figures of a version: the confusion heatmap (SVG) and its table, precision and recall bars, mistakes.
import type { VersionReport } from '../../types.js';
import { formatPercent, escapeXml as h } from '../format.js';

/** Returns a data: URI for the test image at `index`. */
export type Thumbnail = (index: number) => string;

// Cells of the confusion matrix that hold mistakes reach full colour at this share of the true class.
const ERROR_SATURATION = 0.25;

export function renderHeatmap(v: VersionReport, id: string): string {
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

export function renderLegend(): string {
  return `<div class="legend" aria-hidden="true">
  <span class="legend-item"><span class="swatch ramp-ok"></span><span>Correct: 0 → 100% of the class</span></span>
  <span class="legend-item"><span class="swatch ramp-err"></span><span>Mistakes: 0 → ${Math.round(ERROR_SATURATION * 100)}%+ of the class</span></span>
</div>`;
}

export function renderConfusionTable(v: VersionReport): string {
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

export function renderBars(v: VersionReport): string {
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

export function renderMistakes(v: VersionReport, thumbnail: Thumbnail): string {
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
