// Captured greedy decode in headless Chromium (Chrome's own WebGPU): the page's decode points replay a
// captured step, so replayed tokens must equal step() + host argmax there too.
import { describe, expect, it } from 'vitest';
import { testEngine } from '../testing/engine';
import { rng } from '../testing/random';
import { presetModel } from './presets';
import { GpuModel } from './model';
import { initModelWeights } from './weights';

const argmaxRows = (x: Float32Array, rows: number) => {
  const V = x.length / rows;
  return Array.from({ length: rows }, (_, r) => {
    let best = 0;
    for (let i = 1; i < V; i++) if (x[r * V + i] > x[r * V + best]) best = i;
    return best;
  });
};

describe('captured greedy decode in Chromium', () => {
  for (const id of ['tiny-mamba', 'tiny-transformer']) {
    it(`${id}: replayed greedy tokens equal step() + host argmax`, async () => {
      const e = await testEngine();
      const config = presetModel(id)!;
      const model = GpuModel.create(e, config, initModelWeights(config, 5));
      const [B, L, steps] = [1, 9, 6];
      const r = rng(8);
      const prompt = Array.from({ length: B * L }, () => Math.floor(r() * config.vocabSize));
      const prefill = () => {
        const state = model.createState(B, L + steps + 1);
        model.forward(prompt, B, L, { state }).release();
        return state;
      };
      const a = prefill();
      const host: number[][] = [[]];
      let next = [prompt[L - 1]];
      for (let i = 0; i < steps; i++) {
        const logits = model.step(next, a);
        next = argmaxRows(await e.read(logits), B);
        logits.release();
        host[0].push(next[0]);
      }
      const b = prefill();
      expect(await model.generateGreedyReplay(b, [prompt[L - 1]], steps)).toEqual(host);
      for (const s of [a, b]) model.releaseState(s);
      model.release();
    });
  }
});
