// The sweep runner on tiny models: every (model, mode, length) point, measured bytes beside the cost
// model's, skipped points with their reason, cancel keeping what was measured, and a lost device giving
// a message and a fresh device for what follows; decode points go through a replayed greedy step.
import { describe, expect, it } from 'vitest';
import { Engine } from '../engine/engine';
import { defaultComparison, presetModel } from '../model/presets';
import type { Comparison } from '../model/config';
import { runSweep, SweepCancelled, whyNotFit, type SweepPoint } from './sweep';
import { GpuModel } from '../model/model';
import { initModelWeights } from '../model/weights';

const gpu = () => globalThis.__HP_TEST_GPU__!;

function tinyComparison(patch: Partial<Comparison['sweep']> = {}): Comparison {
  const c = defaultComparison();
  return { ...c, models: [presetModel('tiny-mamba')!, presetModel('tiny-transformer')!], sweep: { ...c.sweep, seqStart: 8, seqMax: 32, modes: ['prefill', 'decode'], decodeSteps: 3, warmup: 0, repeats: 2, ...patch } };
}

describe('runSweep', () => {
  it('measures every model, mode and length, with allocator bytes beside the cost model', async () => {
    const progress: number[] = [];
    const seen: SweepPoint[] = [];
    const r = await runSweep(tinyComparison(), { getEngine: () => Engine.create(gpu()), onPoint: (p) => seen.push(p), onProgress: (p) => progress.push(p.done) });
    expect(r.points).toHaveLength(2 * 2 * 3);
    expect(seen).toEqual(r.points);
    expect(progress.at(-1)).toBe(12);
    for (const p of r.points) {
      expect(p.status, `${p.model} ${p.mode} ${p.seqLen}`).toBe('ok');
      expect(p.msMedian).toBeGreaterThan(0);
      expect(p.msMin!).toBeLessThanOrEqual(p.msMedian!);
      // Prefill: the 2 repeats, more (up to 6) when they disagreed; decode: the 3 timed steps.
      if (p.mode === 'prefill') {
        expect(p.samples).toBeGreaterThanOrEqual(2);
        expect(p.samples).toBeLessThanOrEqual(6);
      } else {
        expect(p.samples).toBe(3);
      }
      expect(p.tokensPerSecond).toBeCloseTo(((p.mode === 'prefill' ? p.seqLen : 1) * p.batch * 1000) / p.msMedian!, 6);
      expect(p.measuredBytes!.weights).toBe(p.analyticBytes.weights);
      if (p.mode === 'decode') expect(p.measuredBytes!.cache).toBe(p.analyticBytes.cache);
    }
    const cache = (model: number, L: number) => r.points.find((p) => p.modelIndex === model && p.mode === 'decode' && p.seqLen === L)!.measuredBytes!.cache;
    expect(cache(0, 32)).toBe(cache(0, 8)); // Mamba: constant state
    expect(cache(1, 32)).toBeGreaterThan(cache(1, 8)); // attention: the KV cache grows
  });

  it('skips points that cannot fit, naming the limit, without attempting them', async () => {
    const c = tinyComparison({ modes: ['prefill'], seqStart: 16, seqMax: 64 });
    const r = await runSweep(c, { getEngine: () => Engine.create(gpu()), memoryBudgetBytes: 200 * 1024 });
    const skipped = r.points.filter((p) => p.status === 'skipped');
    expect(skipped.length).toBeGreaterThan(0);
    expect(skipped[0].reason).toMatch(/over the memory budget of 200 KiB/);
    expect(skipped[0].measuredBytes).toBeUndefined();
    const limits = { maxBufferSize: 1 << 20, maxStorageBufferBindingSize: 1 << 20 };
    expect(whyNotFit(presetModel('mamba')!, 'prefill', 4096, 4096, limits, Infinity)).toMatch(/needs one buffer of .* over this GPU's limit of 1.00 MiB per buffer/);
  });

  it('cancel stops at once and keeps the points measured so far', async () => {
    const controller = new AbortController();
    let n = 0;
    const kept: SweepPoint[] = [];
    const run = runSweep(tinyComparison(), {
      getEngine: () => Engine.create(gpu()),
      signal: controller.signal,
      onPoint: (p) => {
        kept.push(p);
        if (++n === 3) controller.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(SweepCancelled);
    expect(kept).toHaveLength(3);
  });

  it('a lost device fails its point with a message and the sweep continues on a fresh device', async () => {
    let engines = 0;
    let first: Engine | null = null;
    const r = await runSweep(tinyComparison({ modes: ['prefill'] }), {
      getEngine: async () => {
        engines++;
        const e = await Engine.create(gpu());
        first ??= e;
        return e;
      },
      onPoint: (p) => {
        if (p.modelIndex === 0 && p.seqLen === 8) first!.destroy();
      },
    });
    const failed = r.points.filter((p) => p.status === 'failed');
    expect(failed).toHaveLength(1);
    expect(failed[0].reason).toMatch(/lost|destroyed/i);
    expect(engines).toBe(2);
    // The second model ran entirely on the fresh device.
    expect(r.points.filter((p) => p.modelIndex === 1).every((p) => p.status === 'ok')).toBe(true);
  });

  it('reuses buffers within a point and holds no GPU memory when done (nothing live, nothing kept for reuse)', async () => {
    const engine = await Engine.create(gpu());
    let pooledDuringPoints = 0;
    const r = await runSweep(tinyComparison({ modes: ['prefill'], seqMax: 16, warmup: 1, repeats: 2 }), {
      getEngine: async () => engine,
      onPoint: () => {
        pooledDuringPoints = Math.max(pooledDuringPoints, engine.memory().pooled);
      },
    });
    expect(r.points.every((p) => p.status === 'ok')).toBe(true);
    // The forward passes' intermediates went back to the pool for the next repeat...
    expect(pooledDuringPoints).toBeGreaterThan(0);
    // ...and the sweep emptied it at the end.
    await engine.sync();
    expect(engine.memory().live.total).toBe(0);
    expect(engine.memory().pooled).toBe(0);
  });

  it('decode points time a replayed greedy step: its dispatches per token, the capture released', async () => {
    const engine = await Engine.create(gpu());
    const r = await runSweep(tinyComparison({ modes: ['decode'], seqMax: 16, decodeSteps: 4, warmup: 1 }), { getEngine: async () => engine });
    expect(r.points).toHaveLength(2 * 2);
    // The sweep released its captures, states, models and scratch: nothing is live on the engine.
    await engine.sync();
    expect(engine.memory().live.total).toBe(0);
    // Dispatches of one greedy step (the decode step and its argmax) of each model, counted directly.
    const greedyDispatches = r.config.models.map((config) => {
      const model = GpuModel.create(engine, config, initModelWeights(config, 1));
      const state = model.createState(1, 4);
      const ids = engine.uploadU32([1], [1], 'activations', 'ids');
      const before = engine.dispatchCount;
      model.stepGreedy(state, ids);
      const n = engine.dispatchCount - before;
      engine.discardPending();
      ids.release();
      model.releaseState(state);
      model.release();
      return n;
    });
    expect(greedyDispatches[0]).toBe(11);
    for (const p of r.points) {
      expect(p.status, `${p.model} ${p.seqLen}`).toBe('ok');
      expect(p.decodePath).toBe('replay');
      expect(p.dispatches).toBe(greedyDispatches[p.modelIndex]);
      expect(p.measuredBytes!.cache).toBe(p.analyticBytes.cache);
    }
  });
});
