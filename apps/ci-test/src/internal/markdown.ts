import type { GateReport } from '../types.js';
import { formatPercent, formatRatio, formatThreshold, metadataText, shortfallMessage } from './format.js';

/** Text for a table cell: one line, pipes and markup characters escaped. */
function cell(value: unknown): string {
  return metadataText(value)
    .replace(/\r?\n/g, ' ')
    .replace(/([\\|`*_<>[\]])/g, '\\$1');
}

export function renderMarkdown(report: GateReport): string {
  const threshold = formatThreshold(report.threshold);
  const out: string[] = [
    `# Accuracy gate: ${cell(report.model)} — ${report.passed ? 'passed' : 'FAILED'}`,
    '',
    `- Threshold: accuracy ≥ ${threshold} (${report.gate === 'all' ? 'every version must pass' : 'the latest version must pass'})`,
    `- Test set: ${cell(report.testSet.source)} (${report.testSet.count} images)`,
    `- Generated: ${report.generatedAt}`,
    '',
    '| Version | Accuracy | Loss | Gated | Result |',
    '| ---: | ---: | ---: | :---: | --- |',
  ];
  for (const v of report.versions) {
    const result = v.passed
      ? 'pass'
      : `**fail**: ${shortfallMessage(v.metrics.accuracy, report.threshold)}${v.gated ? '' : ' (not gated)'}`;
    out.push(
      `| v${v.version} | ${formatRatio(v.metrics.accuracy)} | ${formatRatio(v.metrics.loss)} | ${v.gated ? 'yes' : 'no'} | ${result} |`,
    );
  }
  for (const v of report.versions) {
    out.push('', `## v${v.version}`, '');
    out.push(
      `Accuracy ${formatRatio(v.metrics.accuracy)}, loss ${formatRatio(v.metrics.loss)}; loaded in ${Math.round(v.timings.loadMs)} ms, predicted in ${Math.round(v.timings.predictMs)} ms (${Math.round(v.timings.imagesPerSecond)} images/s).`,
    );
    const entries = Object.entries(v.metadata);
    out.push('', '### Metadata', '');
    if (entries.length === 0) out.push('No metadata recorded.');
    else {
      out.push('| Key | Value |', '| --- | --- |');
      for (const [key, value] of entries) out.push(`| ${cell(key)} | ${cell(value)} |`);
    }
    out.push(
      '',
      '### Per class',
      '',
      '| Class | Precision | Recall | Support |',
      '| --- | ---: | ---: | ---: |',
    );
    for (const c of v.perClass)
      out.push(
        `| ${cell(c.name)} | ${formatPercent(c.precision)} | ${formatPercent(c.recall)} | ${c.support} |`,
      );
    if (v.misclassified.length > 0) {
      const shown = v.misclassified
        .slice(0, 10)
        .map(
          (m) =>
            `#${m.index} ${cell(classNameOf(v, m.true))} → ${cell(classNameOf(v, m.predicted))} (${formatPercent(m.confidence, 0)})`,
        );
      out.push('', `Most confident mistakes: ${shown.join('; ')}.`);
    }
  }
  out.push('');
  return out.join('\n');
}

function classNameOf(v: GateReport['versions'][number], c: number): string {
  return v.perClass[c]?.name ?? String(c);
}
