// The page's inline script and style sheet.
export const SCRIPT = `
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

export const STYLE = `
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
