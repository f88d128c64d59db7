// Captured greedy decode on the GPU: tokens from replays of one captured step equal step() + host argmax
// and stepGreedy, for Mamba and GLA (+ MLP) models and for models with attention and gated attention (whose
// positional uniforms are rewritten per replay; their KV caches larger than the context, so the captured
// decode split has splits past the attended length).
import { describe, expect, it } from 'vitest';
import { testEngine } from '../testing/engine';
import { rng } from '../testing/random';
import { presetModel } from './presets';
import { modelFromPattern } from './build';
import { GpuModel, type ModelState } from './model';
import { initModelWeights } from './weights';
import type { ModelConfig } from './config';
import { KernelInputError } from '../engine/errors';

const argmaxRows = (x: Float32Array, rows: number) => {
  const V = x.length / rows;
  return Array.from({ length: rows }, (_, r) => {
    let best = 0;
    for (let i = 1; i < V; i++) if (x[r * V + i] > x[r * V + best]) best = i;
    return best;
  });
};

// [name, config, prompt length L, spare cache positions beyond L + steps + 1]
const CONFIGS: [string, () => ModelConfig, number, number][] = [
  ['tiny-mamba', () => presetModel('tiny-mamba')!, 7, 0],
  ['Mamba + GLA with MLPs (M+ L+)', () => modelFromPattern({ name: 'tiny M+ L+', dModel: 32, vocabSize: 96, pattern: 'M+ L+', settings: { gla: { heads: 2 }, mlp: { hidden: 64 } } }), 7, 0],
  // 70 cached keys: two key chunks of the decode kernel, planned over a 200-position cache (four splits).
  ['tiny-transformer', () => presetModel('tiny-transformer')!, 70, 200 - 79],
  ['tiny-hybrid (Mamba, head-gated and gated attention, GLA)', () => presetModel('tiny-hybrid')!, 7, 40],
  ['tiny-transformer with an fp16 KV cache', () => ({ ...presetModel('tiny-transformer')!, kvCacheFormat: 'f16' as const }), 70, 200 - 79],
];

describe('captured greedy decode', () => {
  for (const [name, make, L, spare] of CONFIGS) {
    it(`${name}: replayed greedy tokens equal step() + host argmax and stepGreedy (batch 2, 8 tokens)`, async () => {
      const e = await testEngine();
      const config = make();
      const model = GpuModel.create(e, config, initModelWeights(config, 11));
      expect(model.canReplayDecode()).toEqual({ ok: true });
      const [B, steps] = [2, 8];
      const r = rng(3);
      const prompt = Array.from({ length: B * L }, () => Math.floor(r() * config.vocabSize));
      const last = [prompt[L - 1], prompt[2 * L - 1]];
      const prefill = (): ModelState => {
        const state = model.createState(B, L + steps + 1 + spare);
        model.forward(prompt, B, L, { state }).release();
        return state;
      };

      // Reference: step() with the host's argmax.
      const a = prefill();
      const host: number[][] = [[], []];
      let next = last;
      for (let i = 0; i < steps; i++) {
        const logits = model.step(next, a);
        next = argmaxRows(await e.read(logits), B);
        logits.release();
        next.forEach((t, b) => host[b].push(t));
      }

      // stepGreedy, then generateGreedyReplay.
      const b = prefill();
      expect(await model.generateGreedy(b, last, steps)).toEqual(host);
      const c = prefill();
      expect(await model.generateGreedyReplay(c, last, steps)).toEqual(host);
      expect(c.position).toBe(L + steps);
      expect(c.layers.every((l) => (l.mixer?.position ?? L + steps) === L + steps)).toBe(true);

      // Capture and replay by hand: dispatches per replay equal those of a stepGreedy.
      const d = prefill();
      const ids = e.uploadU32(last, [B], 'activations', 'ids');
      const captured = model.captureGreedyStep(d, ids);
      const got: number[][] = [[], []];
      const push = async () => new Uint32Array((await e.read(ids)).buffer).forEach((t, i) => got[i].push(t));
      await push();
      for (let i = 1; i < steps; i++) {
        const n = e.dispatchCount;
        model.replayGreedyStep(captured);
        expect(e.dispatchCount - n).toBe(captured.dispatches);
        e.submit();
        await push();
      }
      expect(got).toEqual(host);
      expect(d.position).toBe(L + steps);
      while (d.position < d.capacity) {
        model.replayGreedyStep(captured);
        e.submit();
      }
      expect(() => model.replayGreedyStep(captured)).toThrow(/exceeds the state's capacity/);
      captured.release();
      expect(() => model.replayGreedyStep(captured)).toThrow(KernelInputError);
      expect(() => model.replayGreedyStep(captured)).toThrow(/was released/);
      expect(() => e.replay(captured.work)).toThrow(/was released/);
      await e.sync();
      ids.release();
      for (const s of [a, b, c, d]) model.releaseState(s);
      model.release();
    });
  }

  it('tiny-transformer: a captured step with positional uniforms replays once per batch, at the state position', async () => {
    const e = await testEngine();
    const config = presetModel('tiny-transformer')!;
    const model = GpuModel.create(e, config, initModelWeights(config, 2));
    const state = model.createState(1, 8);
    model.forward([1, 2, 3], 1, 3, { state }).release();
    const ids = e.uploadU32([4], [1], 'activations', 'ids');
    const captured = model.captureGreedyStep(state, ids);
    expect(captured.work.positionDependent).toBe(true);
    // The engine refuses a replay without the position, and a second replay before submit.
    expect(() => e.replay(captured.work)).toThrow(/position/);
    model.replayGreedyStep(captured);
    expect(() => model.replayGreedyStep(captured)).toThrow(/once per batch/);
    expect(state.position).toBe(5);
    e.submit();
    model.replayGreedyStep(captured);
    e.submit();
    expect(state.position).toBe(6);
    expect(state.layers.every((l) => l.mixer!.position === 6)).toBe(true);
    captured.release();
    await e.sync();
    ids.release();
    model.releaseState(state);
    model.release();
  });
});
