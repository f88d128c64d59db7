import { describe, expect, it } from 'vitest';
import { defaultComparison } from '../model/presets';
import { encodeComparison } from './codec';
import { MAX_LINK_CHARS, packResults, unpackResults } from './results-codec';
import type { SweepPoint, SweepResults } from '../measure/sweep';

function fakeResults(): SweepResults {
  const comparison = defaultComparison();
  const points: SweepPoint[] = [];
  comparison.models.forEach((m, mi) => {
    for (const mode of ['prefill', 'decode'] as const) {
      for (let L = 256; L <= 16384; L *= 2) {
        points.push({ model: m.name, modelIndex: mi, mode, seqLen: L, batch: 1, status: 'ok', msMedian: 1.234567 * L, msMin: L, msMax: 2 * L, tokensPerSecond: 1e6 / L, dispatches: 200 + mi, decodePath: mode === 'decode' ? (mi === 1 ? 'step' : 'replay') : undefined, samples: mi === 0 ? undefined : mode === 'decode' ? 32 : L === 1024 ? 7 : 3, measuredBytes: { weights: 5e8, activations: L * 1000, cache: L * 73728, scratch: 64, peakTotal: 5e8 + L * 74728 }, analyticBytes: { weights: 0, activations: 0, cache: 0, scratch: 0, peakTotal: 0 }, device: 'gpu' });
      }
    }
  });
  points.push({ ...points[0], seqLen: 32768, status: 'skipped', reason: 'too big', msMedian: undefined, tokensPerSecond: undefined, measuredBytes: undefined });
  return { adapter: { vendor: 'nvidia', description: 'NVIDIA H200' } as never, config: comparison, startedAt: '2026-11-28T12:00:00Z', points };
}

describe('results attached to a link', () => {
  it('round-trips every point (figures to 4 significant digits) and stays under the link limit', async () => {
    const results = fakeResults();
    const packed = await packResults(results);
    const link = `https://example.org/#${encodeComparison(results.config, { attachedResults: packed })}`;
    expect(link.length).toBeLessThan(MAX_LINK_CHARS);
    const back = await unpackResults(packed, results.config);
    expect(back.points).toHaveLength(results.points.length);
    const p = back.points[5];
    const q = results.points[5];
    expect([p.model, p.mode, p.seqLen, p.status, p.dispatches]).toEqual([q.model, q.mode, q.seqLen, q.status, q.dispatches]);
    expect(p.msMedian).toBeCloseTo(q.msMedian!, -Math.log10(q.msMedian!) + 3);
    expect(p.measuredBytes).toEqual(q.measuredBytes);
    expect(p.analyticBytes.weights).toBeGreaterThan(1e8); // recomputed from the cost model
    expect(back.points.at(-1)!.status).toBe('skipped');
  });

  it('carries how each decode point was timed (replayed or recorded step), and nothing for prefill', async () => {
    const results = fakeResults();
    const back = await unpackResults(await packResults(results), results.config);
    expect(back.points.map((p) => p.decodePath)).toEqual(results.points.map((p) => p.decodePath));
    expect(back.points.filter((p) => p.decodePath === 'replay').length).toBeGreaterThan(0);
    expect(back.points.filter((p) => p.decodePath === 'step').length).toBeGreaterThan(0);
    expect(back.points.filter((p) => p.mode === 'prefill').every((p) => p.decodePath === undefined)).toBe(true);
  });

  it('carries how many samples each median is over, and nothing where it was not known', async () => {
    const results = fakeResults();
    const back = await unpackResults(await packResults(results), results.config);
    expect(back.points.map((p) => p.samples)).toEqual(results.points.map((p) => p.samples));
    expect(back.points.some((p) => p.mode === 'prefill' && p.samples === 7)).toBe(true);
    expect(back.points.some((p) => p.mode === 'decode' && p.samples === undefined && p.decodePath === 'replay')).toBe(true);
  });

  it('reads links written before decodePath was carried: the points load, their decode path not known', async () => {
    // Packed by the codec as it was then: a prefill and a decode point of the default comparison's first model.
    const old = 'XYy7CsJQEER_JWw9CbN7HybbCRamsRILQ4qgCGnEQmzEf5cbgoVTzOE05y03cYVM4nJ_zdd5qqrDqd_122pvpEAu4oQ8xcVouVatrT2qOenkWSAP8WEgCEsZWtgkGAKUFkkkroOuJHJE4qI5Qo0jBkJ_BTabVA5sOmgI4T8CW20JWUnliK4dx88X';
    const back = await unpackResults(old, defaultComparison());
    expect(back.points.map((p) => [p.mode, p.seqLen, p.msMedian, p.dispatches, p.decodePath])).toEqual([
      ['prefill', 256, 2.5, 120, undefined],
      ['decode', 256, 0.75, 98, undefined],
    ]);
  });

  it('says what is wrong with damaged results instead of throwing something obscure', async () => {
    const c = defaultComparison();
    await expect(unpackResults('!!!', c)).rejects.toThrow(/could not be read/);
    await expect(unpackResults('AAAA', c)).rejects.toThrow(/could not be read|unknown format/);
    const packed = await packResults(fakeResults());
    await expect(unpackResults(packed.slice(0, packed.length / 2), c)).rejects.toThrow(/could not be read/);
  });

  it('drops points that name models the comparison does not have', async () => {
    const results = fakeResults();
    const packed = await packResults(results);
    const one = { ...results.config, models: results.config.models.slice(0, 1) };
    const back = await unpackResults(packed, one);
    expect(back.points.every((p) => p.modelIndex === 0)).toBe(true);
    expect(back.points.length).toBeGreaterThan(0);
  });
});
