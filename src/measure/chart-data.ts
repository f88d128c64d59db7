// Shapes sweep points and cost-model figures into chart rows and export files. Pure functions, no UI.
// A row is { seqLen, m0, m1, ... } with one key per model index (recharts draws one line per key).

import type { Comparison, SweepMode } from '../model/config';
import { sweepLengths } from '../model/config';
import { costModel, decodeStateBytes } from '../model/cost-model';
import type { SweepPoint, SweepResults } from './sweep';

export type Metric = 'tokensPerSecond' | 'msMedian' | 'measuredPeak' | 'measuredCache';

export interface ChartRow {
  seqLen: number;
  [key: string]: number | undefined;
}

export const seriesKey = (modelIndex: number, suffix = '') => `m${modelIndex}${suffix}`;

function valueOf(p: SweepPoint, metric: Metric): number | undefined {
  if (p.status !== 'ok') return undefined;
  switch (metric) {
    case 'tokensPerSecond':
      return p.tokensPerSecond;
    case 'msMedian':
      return p.msMedian;
    case 'measuredPeak':
      return p.measuredBytes?.peakTotal;
    case 'measuredCache':
      return p.measuredBytes?.cache;
  }
}

/** Rows for one mode and metric: every length of the sweep, with the values measured so far. */
export function measuredRows(points: readonly SweepPoint[], mode: SweepMode, metric: Metric, lengths: readonly number[]): ChartRow[] {
  const rows = new Map<number, ChartRow>(lengths.map((l) => [l, { seqLen: l }]));
  for (const p of points) {
    if (p.mode !== mode) continue;
    const v = valueOf(p, metric);
    if (v === undefined) continue;
    const row = rows.get(p.seqLen) ?? { seqLen: p.seqLen };
    row[seriesKey(p.modelIndex)] = v;
    rows.set(p.seqLen, row);
  }
  return [...rows.values()].sort((a, b) => a.seqLen - b.seqLen);
}

/** The point a chart draws for a model, mode and length: the last ok one. */
export function pointAt(points: readonly SweepPoint[], mode: SweepMode, modelIndex: number, seqLen: number): SweepPoint | undefined {
  return points.findLast((p) => p.mode === mode && p.status === 'ok' && p.modelIndex === modelIndex && p.seqLen === seqLen);
}


/**
 * Memory rows: the cost model's bytes (key `m{i}a`, drawn dashed) at every length, and the allocator's
 * measured peak (key `m{i}`, solid) where measured. `what` picks the total or the decode state alone.
 */
export function memoryRows(comparison: Comparison, points: readonly SweepPoint[], mode: SweepMode, what: 'total' | 'cache', lengths = sweepLengths(comparison.sweep)): ChartRow[] {
  const rows = measuredRows(points, mode, what === 'total' ? 'measuredPeak' : 'measuredCache', lengths);
  for (const row of rows) {
    comparison.models.forEach((m, i) => {
      const c = costModel(m, { seqLen: row.seqLen, batch: m.batch, mode });
      const cache = mode === 'decode' ? decodeStateBytes(m, m.batch, row.seqLen) : 0;
      row[seriesKey(i, 'a')] = what === 'total' ? c.bytes.weights + c.bytes.activations + c.bytes.scratch + cache : cache;
    });
  }
  return rows;
}

/** Analytic FLOPs per token against length (prefill average, or one decode step at context L). */
export function flopsRows(comparison: Comparison, mode: SweepMode, lengths = sweepLengths(comparison.sweep)): ChartRow[] {
  return lengths.map((L) => {
    const row: ChartRow = { seqLen: L };
    comparison.models.forEach((m, i) => {
      const c = costModel(m, { seqLen: L, batch: m.batch, mode });
      row[seriesKey(i, 'a')] = mode === 'prefill' ? c.flopsPerToken.prefill : c.flopsPerToken.decode;
    });
    return row;
  });
}

/**
 * The CSV's columns, one row per point. decodePath says how a decode point was timed: 'replay' (one
 * captured greedy step replayed per token) or 'step' (the step recorded per token); empty for prefill
 * and for results that did not record it. dispatches: GPU dispatches per forward pass (prefill) or per
 * token step (decode), empty where not measured. samples: how many timed samples msMedian is the median
 * of (prefill takes more than its repeats while they disagree: repeats.ts). Newer columns come last so that the earlier ones keep
 * their places.
 */
const CSV_COLUMNS = ['model', 'mode', 'seqLen', 'batch', 'device', 'status', 'reason', 'msMedian', 'msMin', 'msMax', 'tokensPerSecond', 'measuredWeights', 'measuredActivations', 'measuredCache', 'measuredScratch', 'measuredPeakTotal', 'analyticWeights', 'analyticActivations', 'analyticCache', 'analyticScratch', 'analyticPeakTotal', 'decodePath', 'dispatches', 'samples'] as const;

function csvCell(v: unknown): string {
  if (v === undefined || v === null) return '';
  const s = String(v);
  // Quote when needed; a leading = + - @ could be read as a formula by spreadsheets: prefix a quote.
  const safe = /^[=+\-@]/.test(s) && typeof v === 'string' ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function resultsToCsv(results: SweepResults): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const p of results.points) {
    const m = p.measuredBytes;
    const a = p.analyticBytes;
    const row = [p.model, p.mode, p.seqLen, p.batch, p.device, p.status, p.reason, p.msMedian, p.msMin, p.msMax, p.tokensPerSecond, m?.weights, m?.activations, m?.cache, m?.scratch, m?.peakTotal, a.weights, a.activations, a.cache, a.scratch, a.peakTotal, p.mode === 'decode' ? p.decodePath : undefined, p.dispatches, p.samples];
    lines.push(row.map(csvCell).join(','));
  }
  return lines.join('\n') + '\n';
}
