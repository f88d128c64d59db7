import { describe, expect, it } from 'vitest';
import { defaultComparison } from '../model/presets';
import { pointAt, resultsToCsv } from './chart-data';
import type { SweepPoint, SweepResults } from './sweep';

const bytes = { weights: 5e8, activations: 1e6, cache: 2e6, scratch: 64, peakTotal: 503000064 };

function results(points: Partial<SweepPoint>[]): SweepResults {
  const comparison = defaultComparison();
  return {
    adapter: { vendor: 'cpu', description: 'test' },
    config: comparison,
    startedAt: '2026-11-28T12:00:00Z',
    points: points.map((p) => ({ model: 'Mamba', modelIndex: 1, mode: 'decode', seqLen: 256, batch: 1, status: 'ok', msMedian: 0.75, msMin: 0.7, msMax: 0.9, tokensPerSecond: 1333, measuredBytes: bytes, analyticBytes: bytes, device: 'gpu', ...p }) as SweepPoint),
  };
}

/** The CSV as one record per row, keyed by the header (the test data holds no quoted cells). */
function parse(csv: string): Record<string, string>[] {
  const [head, ...rows] = csv.trimEnd().split('\n').map((l) => l.split(','));
  return rows.map((r) => Object.fromEntries(head.map((h, i) => [h, r[i]])));
}

describe('CSV export', () => {
  it('keeps the earlier columns in their places and adds decodePath, dispatches and samples last', () => {
    const header = resultsToCsv(results([])).trimEnd().split(',');
    expect(header.slice(0, 21)).toEqual(['model', 'mode', 'seqLen', 'batch', 'device', 'status', 'reason', 'msMedian', 'msMin', 'msMax', 'tokensPerSecond', 'measuredWeights', 'measuredActivations', 'measuredCache', 'measuredScratch', 'measuredPeakTotal', 'analyticWeights', 'analyticActivations', 'analyticCache', 'analyticScratch', 'analyticPeakTotal']);
    expect(header.slice(21)).toEqual(['decodePath', 'dispatches', 'samples']);
  });

  it('says how each decode point was timed, and leaves the cell empty for prefill and for results without it', () => {
    const csv = resultsToCsv(results([{ decodePath: 'replay', dispatches: 98, samples: 32 }, { decodePath: 'step', modelIndex: 0, model: 'Transformer' }, { mode: 'prefill', seqLen: 512, dispatches: 2400, samples: 7 }, { mode: 'prefill', decodePath: 'replay' }, {}]));
    const rows = parse(csv);
    expect(rows.map((r) => [r.mode, r.decodePath, r.dispatches, r.samples])).toEqual([
      ['decode', 'replay', '98', '32'],
      ['decode', 'step', '', ''],
      ['prefill', '', '2400', '7'],
      ['prefill', '', '', ''],
      ['decode', '', '', ''],
    ]);
    expect(rows.every((r) => Object.keys(r).length === 24)).toBe(true);
    expect(csv.split('\n').slice(1, -1).every((l) => l.split(',').length === 24)).toBe(true);
  });
});

describe('pointAt', () => {
  it('finds the ok point a chart draws for a model, mode and length, the last one when measured twice', () => {
    const { points } = results([{ decodePath: 'step' }, { decodePath: 'replay' }, { mode: 'prefill', seqLen: 512 }, { seqLen: 1024, status: 'failed', decodePath: 'replay' }, { seqLen: 2048 }]);
    expect(pointAt(points, 'decode', 1, 256)?.decodePath).toBe('replay');
    expect(pointAt(points, 'decode', 0, 256)).toBeUndefined();
    expect(pointAt(points, 'decode', 1, 512)).toBeUndefined();
    expect(pointAt(points, 'prefill', 1, 512)?.mode).toBe('prefill');
    expect(pointAt(points, 'decode', 1, 1024)).toBeUndefined();
    expect(pointAt(points, 'decode', 1, 2048)?.decodePath).toBeUndefined();
  });
});
