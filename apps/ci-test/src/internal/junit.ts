import type { GateReport } from '../types.js';
import { formatRatio, formatThreshold, shortfallMessage, escapeXml as x } from './format.js';

/** One testsuite, one testcase per version; ungated versions below the threshold are reported as skipped. */
export function renderJunit(report: GateReport): string {
  const threshold = formatThreshold(report.threshold);
  const failures = report.versions.filter((v) => v.gated && !v.passed).length;
  const skipped = report.versions.filter((v) => !v.gated && !v.passed).length;
  const seconds = (ms: number) => (ms / 1000).toFixed(3);
  const totalMs = report.versions.reduce((s, v) => s + v.timings.loadMs + v.timings.predictMs, 0);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="accuracy gate" tests="${report.versions.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${seconds(totalMs)}">`,
    `  <testsuite name="${x(`${report.model} accuracy gate`)}" tests="${report.versions.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${seconds(totalMs)}" timestamp="${x(report.generatedAt)}">`,
    '    <properties>',
    `      <property name="model" value="${x(report.model)}"/>`,
    `      <property name="threshold" value="${threshold}"/>`,
    `      <property name="gate" value="${x(report.gate)}"/>`,
    `      <property name="test_set" value="${x(report.testSet.source)}"/>`,
    `      <property name="test_set_count" value="${report.testSet.count}"/>`,
    '    </properties>',
  ];
  for (const v of report.versions) {
    const name = `${report.model} v${v.version} accuracy ≥ ${threshold}`;
    lines.push(
      `    <testcase classname="${x(`${report.model}.accuracy`)}" name="${x(name)}" time="${seconds(v.timings.loadMs + v.timings.predictMs)}">`,
      '      <properties>',
      `        <property name="accuracy" value="${v.metrics.accuracy}"/>`,
      `        <property name="loss" value="${v.metrics.loss}"/>`,
      `        <property name="threshold" value="${report.threshold}"/>`,
      `        <property name="gated" value="${v.gated}"/>`,
      '      </properties>',
    );
    if (!v.passed) {
      const message = shortfallMessage(v.metrics.accuracy, report.threshold);
      if (v.gated) {
        const detail = [
          `${report.model} v${v.version}: ${message}.`,
          `Tested on ${report.testSet.count} images from ${report.testSet.source}.`,
          ...v.perClass.map(
            (c) => `  ${c.name}: recall ${c.recall === null ? 'n/a' : formatRatio(c.recall)} (${c.support})`,
          ),
        ].join('\n');
        lines.push(
          `      <failure message="${x(message)}" type="AccuracyBelowThreshold">${x(detail)}</failure>`,
        );
      } else {
        lines.push(`      <skipped message="${x(`${message}; not gated (gate: ${report.gate})`)}"/>`);
      }
    }
    lines.push(
      `      <system-out>${x(`accuracy ${formatRatio(v.metrics.accuracy)}, loss ${formatRatio(v.metrics.loss)}, ${Math.round(v.timings.imagesPerSecond)} images/s`)}</system-out>`,
      '    </testcase>',
    );
  }
  lines.push('  </testsuite>', '</testsuites>', '');
  return lines.join('\n');
}
