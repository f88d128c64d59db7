#!/usr/bin/env node
// Draws the charts of a sweep's JSON (the page's export or `npm run bench -- --out`) as standalone SVG
// files, log-log, one colour per model (the page's palette): prefill time, decode ms per token, decode
// state bytes (measured solid, cost model dashed).
// Usage: node scripts/plot-sweep.mjs results.json OUT_DIR
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';

const [input, outDir = '.'] = process.argv.slice(2);
if (!input) {
  console.error('usage: node scripts/plot-sweep.mjs results.json OUT_DIR');
  process.exit(2);
}
const results = JSON.parse(readFileSync(input, 'utf8'));
const COLORS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9'];
const models = [...new Map(results.points.map((p) => [p.modelIndex, p.model])).entries()].sort((a, b) => a[0] - b[0]);
mkdirSync(outDir, { recursive: true });

const fmt = (v, unit) => {
  if (unit === 'B') {
    const u = ['B', 'KiB', 'MiB', 'GiB'];
    let i = 0;
    while (v >= 1024 && i < 3) (v /= 1024), i++;
    return `${+v.toPrecision(3)} ${u[i]}`;
  }
  if (v >= 1000) return `${+(v / 1000).toPrecision(3)}k`;
  return `${+v.toPrecision(3)}`;
};

function chart(file, title, yLabel, unit, series) {
  const W = 700, H = 380, L = 70, R = 250, T = 40, B = 50;
  const pts = series.flatMap((s) => s.points);
  const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]).filter((y) => y > 0);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  y0 = 10 ** Math.floor(Math.log10(y0)); y1 = 10 ** Math.ceil(Math.log10(y1));
  const px = (x) => L + ((Math.log2(x) - Math.log2(x0)) / Math.max(1e-9, Math.log2(x1) - Math.log2(x0))) * (W - L - R);
  const py = (y) => H - B - ((Math.log10(y) - Math.log10(y0)) / Math.max(1e-9, Math.log10(y1) - Math.log10(y0))) * (H - T - B);
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`, `<rect width="100%" height="100%" fill="#fff"/>`, `<text x="${L}" y="22" font-size="15" font-weight="bold">${title}</text>`];
  for (let e = Math.log10(y0); e <= Math.log10(y1) + 1e-9; e++) {
    const y = py(10 ** e);
    out.push(`<line x1="${L}" x2="${W - R}" y1="${y}" y2="${y}" stroke="#ddd"/><text x="${L - 6}" y="${y + 4}" text-anchor="end" fill="#555">${fmt(10 ** e, unit)}</text>`);
  }
  for (const x of [...new Set(xs)].sort((a, b) => a - b)) {
    out.push(`<line x1="${px(x)}" x2="${px(x)}" y1="${T}" y2="${H - B}" stroke="#eee"/><text x="${px(x)}" y="${H - B + 16}" text-anchor="middle" fill="#555">${x >= 1024 ? `${x / 1024}K` : x}</text>`);
  }
  out.push(`<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle" fill="#333">sequence length (tokens)</text>`);
  out.push(`<text transform="translate(16 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle" fill="#333">${yLabel}</text>`);
  series.forEach((s, i) => {
    const d = s.points.filter((p) => p[1] > 0).map((p, j) => `${j ? 'L' : 'M'}${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`).join(' ');
    out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    if (!s.dashed) for (const p of s.points) out.push(`<circle cx="${px(p[0]).toFixed(1)}" cy="${py(p[1]).toFixed(1)}" r="3" fill="${s.color}"/>`);
    const ly = T + 14 + i * 18;
    out.push(`<line x1="${W - R + 12}" x2="${W - R + 34}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/><text x="${W - R + 40}" y="${ly}">${s.name.replace(/[<>&]/g, '')}</text>`);
  });
  out.push('</svg>');
  writeFileSync(`${outDir}/${file}`, out.join('\n'));
  console.log(`wrote ${outDir}/${file}`);
}

const ok = (p) => p.status === 'ok';
const seriesOf = (mode, value, extra = {}) =>
  models.map(([i, name]) => ({ name, color: COLORS[i % COLORS.length], points: results.points.filter((p) => ok(p) && p.modelIndex === i && p.mode === mode).map((p) => [p.seqLen, value(p)]), ...extra }));

chart('prefill-ms.svg', 'Prefill: time per forward pass (batch 1)', 'ms', '', seriesOf('prefill', (p) => p.msMedian));
chart('decode-ms.svg', 'Decode: time per token at context L (batch 1)', 'ms / token', '', seriesOf('decode', (p) => p.msMedian));
chart('decode-state.svg', 'Decode state: KV cache, SSM and GLA state', 'bytes', 'B', [
  ...seriesOf('decode', (p) => p.measuredBytes?.cache ?? 0).map((s) => ({ ...s, name: `${s.name}` })),
]);
