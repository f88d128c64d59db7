// Whole models of every block kind on the GPU against the float64 forward of the same config and weights;
// prefill + decode against a longer prefill; the allocator's bytes against the cost model's.
import { describe, expect, it } from 'vitest';
import { testEngine } from '../testing/engine';
import { relativeError, rng } from '../testing/random';
import { presetModel } from './presets';
import { GpuModel } from './model';
import { modelForwardRef } from './model-ref';
import { initModelWeights, loadWeights, saveWeights, weightShapes } from './weights';
import { costModel, decodeStateBytes } from './cost-model';
import type { ModelConfig } from './config';

const TINY = ['tiny-mamba', 'tiny-transformer', 'tiny-hybrid'] as const;

function ids(n: number, vocab: number, seed: number): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => Math.floor(r() * vocab));
}

describe('whole models on the GPU against the float64 forward', () => {
  for (const id of TINY) {
    it(`${id}: logits of every position match (batch 2, length 37)`, async () => {
      const e = await testEngine();
      const config = presetModel(id)!;
      const weights = initModelWeights(config, 3);
      const [B, L] = [2, 37];
      const tokens = ids(B * L, config.vocabSize, 5);
      const model = GpuModel.create(e, config, weights);
      const logits = model.forward(tokens, B, L, { allLogits: true });
      expect(logits.shape).toEqual([B, L, config.vocabSize]);
      const got = await e.read(logits);
      expect(relativeError(got, modelForwardRef(config, weights, tokens, B, L))).toBeLessThan(1e-4);
      logits.release();
      model.release();
    });

    it(`${id}: prefill of L then k decode steps gives the logits of a prefill of L + k`, async () => {
      const e = await testEngine();
      const config = presetModel(id)!;
      const weights = initModelWeights(config, 4);
      const [B, L, k] = [2, 19, 4];
      const tokens = ids(B * (L + k), config.vocabSize, 6);
      const seq = (b: number, from: number, to: number) => tokens.slice(b * (L + k) + from, b * (L + k) + to);
      const model = GpuModel.create(e, config, weights);
      const full = await e.read(model.forward(tokens, B, L + k, { allLogits: true }));
      const state = model.createState(B, L + k);
      const prefix = [...seq(0, 0, L), ...seq(1, 0, L)];
      const last = await e.read(model.forward(prefix, B, L, { state }));
      const V = config.vocabSize;
      const at = (b: number, t: number) => full.slice((b * (L + k) + t) * V, (b * (L + k) + t + 1) * V);
      expect(relativeError(last.slice(0, V), at(0, L - 1))).toBeLessThan(1e-4);
      expect(relativeError(last.slice(V, 2 * V), at(1, L - 1))).toBeLessThan(1e-4);
      for (let s = 0; s < k; s++) {
        const step = await e.read(model.step([seq(0, L + s, L + s + 1)[0], seq(1, L + s, L + s + 1)[0]], state));
        expect(relativeError(step.slice(0, V), at(0, L + s)), `step ${s}, sequence 0`).toBeLessThan(1e-4);
        expect(relativeError(step.slice(V, 2 * V), at(1, L + s)), `step ${s}, sequence 1`).toBeLessThan(1e-4);
      }
      expect(state.position).toBe(L + k);
      expect(() => model.step([0, 0], state)).toThrow(/exceeds the state's capacity/);
      model.releaseState(state);
      model.release();
    });
  }
});

describe('decode on the GPU', () => {
  // Embedding, per layer the blocks' stepInto kernels (Mamba 4, attention 5, MLP 2), final norm + lm_head.
  const dispatches: [string, number][] = [
    ['tiny-mamba', 1 + 2 * 4 + 1],
    ['tiny-transformer', 1 + 2 * (5 + 2) + 1],
  ];
  for (const [id, n] of dispatches) {
    it(`${id}: a decode step is ${n} dispatches, ${n + 1} with the GPU argmax`, async () => {
      const e = await testEngine();
      const config = presetModel(id)!;
      const model = GpuModel.create(e, config, initModelWeights(config, 2));
      const state = model.createState(1, 4);
      let before = e.dispatchCount;
      model.step([1], state).release();
      expect(e.dispatchCount - before).toBe(n);
      const ids = e.uploadU32([1], [1], 'activations', 'ids');
      before = e.dispatchCount;
      model.stepGreedy(state, ids);
      expect(e.dispatchCount - before).toBe(n + 1);
      await e.sync();
      ids.release();
      model.releaseState(state);
      model.release();
    });
  }

  for (const id of ['tiny-mamba', 'tiny-hybrid'] as const) {
    it(`${id}: greedy generation on the GPU gives the tokens of step() + host argmax (batch 2)`, async () => {
      const e = await testEngine();
      const config = presetModel(id)!;
      const weights = initModelWeights(config, 7);
      const model = GpuModel.create(e, config, weights);
      const [B, L, k] = [2, 6, 6];
      const prompt = ids(B * L, config.vocabSize, 8);
      const V = config.vocabSize;
      // Both runs continue the same prefill from the argmax of its last logits.
      const [a, b] = [model.createState(B, L + k), model.createState(B, L + k)];
      const lastLogits = await e.read(model.forward(prompt, B, L, { state: a }));
      model.forward(prompt, B, L, { state: b }).release();
      let next = [0, 1].map((s) => argmax(lastLogits.subarray(s * V, (s + 1) * V)));
      const start = [...next];
      // Host loop: step(), read the logits, argmax on the host, feed it back.
      const hostTokens: number[][] = [[], []];
      for (let i = 0; i < k; i++) {
        const logits = await e.read(model.step(next, a));
        next = [0, 1].map((s) => argmax(logits.subarray(s * V, (s + 1) * V)));
        next.forEach((t, s) => hostTokens[s].push(t));
      }
      const gpuTokens = await model.generateGreedy(b, start, k);
      expect(gpuTokens).toEqual(hostTokens);
      expect(b.position).toBe(a.position);
      expect(new Set(hostTokens.flat()).size).toBeGreaterThan(1);
      model.releaseState(a);
      model.releaseState(b);
      model.release();
    });
  }
});

function argmax(x: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return best;
}

describe('weights from safetensors', () => {
  it('a model loaded from a saved file gives the same logits; a wrong file is refused by name', async () => {
    const e = await testEngine();
    const config = presetModel('tiny-hybrid')!;
    const weights = initModelWeights(config, 9);
    const tokens = ids(2 * 11, config.vocabSize, 3);
    const a = GpuModel.create(e, config, weights);
    const b = GpuModel.create(e, config, loadWeights(config, saveWeights(weights), 'tiny.safetensors'));
    const la = await e.read(a.forward(tokens, 2, 11, { allLogits: true }));
    const lb = await e.read(b.forward(tokens, 2, 11, { allLogits: true }));
    expect(Array.from(lb)).toEqual(Array.from(la));
    a.release();
    b.release();
    const { ['backbone.layers.1.mixer.q_proj.weight']: _dropped, ...missing } = weights;
    void _dropped;
    expect(() => loadWeights(config, saveWeights(missing))).toThrow(/missing backbone\.layers\.1\.mixer\.q_proj\.weight/);
    const other = initModelWeights(presetModel('tiny-transformer')!, 0);
    expect(() => loadWeights(config, saveWeights(other))).toThrow(/weights do not fit the config/);
  });
});

describe('fp16 matrices (weightFormat f16)', () => {
  const tinyGla: ModelConfig = {
    ...presetModel('tiny-mamba')!,
    name: 'tiny GLA',
    layers: [0, 1].map(() => ({ mixer: { kind: 'gla', heads: 2, expandK: 0.5, expandV: 1 }, mlp: { kind: 'swiglu', hidden: 64 } })) as ModelConfig['layers'],
  };
  const configs: ModelConfig[] = [...TINY.map((id) => ({ ...presetModel(id)!, weightFormat: 'f16' as const })), { ...tinyGla, weightFormat: 'f16' }];
  for (const config of configs) {
    it(`${config.name}: prefill logits match the float64 forward of the rounded weights, and decode continues them`, async () => {
      const e = await testEngine();
      const weights = initModelWeights(config, 3);
      const [B, L, k] = [2, 13, 3];
      const tokens = ids(B * (L + k), config.vocabSize, 5);
      const model = GpuModel.create(e, config, weights);
      const full = await e.read(model.forward(tokens, B, L + k, { allLogits: true }));
      expect(relativeError(full, modelForwardRef(config, weights, tokens, B, L + k))).toBeLessThan(1e-4);
      // The halves are what the GPU computed with: the float32 model's logits differ by several times that
      // (7.5e-4 to 1e-3 for these models: fp16 keeps 11 significant bits).
      expect(relativeError(full, modelForwardRef({ ...config, weightFormat: 'f32' }, weights, tokens, B, L + k))).toBeGreaterThan(3e-4);
      // Prefill of L then k decode steps (the fp16 gemv, in_proj and GLA projection kernels).
      const seq = (b: number, from: number, to: number) => tokens.slice(b * (L + k) + from, b * (L + k) + to);
      const state = model.createState(B, L + k);
      await e.read(model.forward([...seq(0, 0, L), ...seq(1, 0, L)], B, L, { state }));
      const V = config.vocabSize;
      const at = (b: number, t: number) => full.slice((b * (L + k) + t) * V, (b * (L + k) + t + 1) * V);
      for (let s = 0; s < k; s++) {
        const step = await e.read(model.step([seq(0, L + s, L + s + 1)[0], seq(1, L + s, L + s + 1)[0]], state));
        expect(relativeError(step.slice(0, V), at(0, L + s)), `step ${s}`).toBeLessThan(1e-4);
        expect(relativeError(step.slice(V, 2 * V), at(1, L + s)), `step ${s}`).toBeLessThan(1e-4);
      }
      model.releaseState(state);
      model.release();
    });

    it(`${config.name}: weight bytes are exactly the cost model's, less than float32's`, async () => {
      const e = await testEngine();
      const before = e.memory().live.weights;
      const model = GpuModel.create(e, config, initModelWeights(config, 1));
      const bytes = e.memory().live.weights - before;
      expect(bytes).toBe(costModel(config, { seqLen: 1, mode: 'prefill' }).bytes.weights);
      expect(bytes).toBeLessThan(0.6 * costModel({ ...config, weightFormat: 'f32' }, { seqLen: 1, mode: 'prefill' }).bytes.weights);
      model.release();
      expect(e.memory().live.weights).toBe(before);
    });
  }

  it('a weight fp16 cannot hold is refused by name', async () => {
    const e = await testEngine();
    const config: ModelConfig = { ...presetModel('tiny-mamba')!, weightFormat: 'f16' };
    const weights = initModelWeights(config, 1);
    weights['backbone.layers.1.mixer.out_proj.weight'].data[3] = 7e4;
    const before = e.memory().live.weights;
    expect(() => GpuModel.create(e, config, weights)).toThrow(/out_proj\.weight: cannot be stored as fp16: value 70000 at index 3/);
    expect(e.memory().live.weights, 'refused before anything is uploaded').toBe(before);
    expect(() => modelForwardRef(config, weights, [1], 1, 1)).toThrow(/backbone\.layers\.1\.mixer\.out_proj\.weight: cannot be stored as fp16/);
  });
});

describe('fp16 KV cache (kvCacheFormat f16)', () => {
  const configs: ModelConfig[] = (['tiny-transformer', 'tiny-hybrid'] as const).map((id) => ({ ...presetModel(id)!, kvCacheFormat: 'f16' as const }));
  for (const config of configs) {
    it(`${config.name}: prefill with a state and decode steps attend the cached halves; a prefill without one its float32 keys`, async () => {
      const e = await testEngine();
      const weights = initModelWeights(config, 3);
      const [B, L, k] = [2, 13, 3];
      const tokens = ids(B * (L + k), config.vocabSize, 5);
      const model = GpuModel.create(e, config, weights);
      // Without a state there is no cache: the float32 forward.
      const stateless = await e.read(model.forward(tokens, B, L + k, { allLogits: true }));
      const floatRef = modelForwardRef(config, weights, tokens, B, L + k);
      expect(relativeError(stateless, floatRef)).toBeLessThan(1e-4);
      // With a state: the prefix through the cache, then k decode steps, each against the twin whose
      // attention reads keys and values rounded to fp16.
      const cachedRef = modelForwardRef(config, weights, tokens, B, L + k, { withState: true });
      const V = config.vocabSize;
      const at = (x: Float64Array, b: number, t: number) => x.slice((b * (L + k) + t) * V, (b * (L + k) + t + 1) * V);
      const seq = (b: number, from: number, to: number) => tokens.slice(b * (L + k) + from, b * (L + k) + to);
      const state = model.createState(B, L + k);
      const last = await e.read(model.forward([...seq(0, 0, L), ...seq(1, 0, L)], B, L, { state }));
      const got: Float32Array[][] = [[last.slice(0, V), last.slice(V)]];
      for (let s = 0; s < k; s++) {
        const step = await e.read(model.step([seq(0, L + s, L + s + 1)[0], seq(1, L + s, L + s + 1)[0]], state));
        got.push([step.slice(0, V), step.slice(V)]);
      }
      got.forEach(([a, b], s) => {
        const t = L - 1 + s;
        expect(relativeError(a, at(cachedRef, 0, t)), `position ${t}, sequence 0`).toBeLessThan(1e-4);
        expect(relativeError(b, at(cachedRef, 1, t)), `position ${t}, sequence 1`).toBeLessThan(1e-4);
      });
      // The rounding is visible: the float32 twin is further from the cached run than the tolerance.
      const lastStep = got[k][0];
      expect(relativeError(lastStep, at(floatRef, 0, L + k - 1))).toBeGreaterThan(2 * relativeError(lastStep, at(cachedRef, 0, L + k - 1)));
      model.releaseState(state);
      model.release();
    });

    it(`${config.name}: the KV cache takes half the bytes, exactly the cost model's`, async () => {
      const e = await testEngine();
      const model = GpuModel.create(e, config, initModelWeights(config, 1));
      const before = e.memory().live.cache;
      const state = model.createState(3, 1000);
      const bytes = e.memory().live.cache - before;
      expect(bytes).toBe(decodeStateBytes(config, 3, 1000));
      const f32 = decodeStateBytes({ ...config, kvCacheFormat: 'f32' }, 3, 1000);
      const stateOnly = decodeStateBytes({ ...config, layers: config.layers.filter((l) => l.mixer?.kind !== 'attention') }, 3, 1000);
      expect(bytes - stateOnly).toBe((f32 - stateOnly) / 2);
      model.releaseState(state);
      model.release();
    });
  }
});

describe('the allocator agrees with the cost model', () => {
  const configs: [string, ModelConfig][] = [...TINY.map((id) => [id, presetModel(id)!] as [string, ModelConfig])];
  for (const [id, config] of configs) {
    it(`${id}: weight bytes and decode-state bytes are exactly the cost model's`, async () => {
      const e = await testEngine();
      const before = e.memory().live;
      const model = GpuModel.create(e, config, initModelWeights(config, 1));
      const afterWeights = e.memory().live;
      expect(afterWeights.weights - before.weights).toBe(costModel(config, { seqLen: 1, mode: 'prefill' }).bytes.weights);
      for (const [B, capacity] of [
        [1, 64],
        [3, 1000],
      ]) {
        const state = model.createState(B, capacity);
        expect(e.memory().live.cache - afterWeights.cache).toBe(decodeStateBytes(config, B, capacity));
        model.releaseState(state);
      }
      model.release();
      expect(e.memory().live.weights).toBe(before.weights);
    });
  }

  it('a forward pass of 12 layers holds about its peak live bytes, not one buffer per intermediate', async () => {
    // Buffers released during a forward are reused within the same submit: the GPU memory the forward
    // makes or keeps (live + pooled) stays near the peak live bytes the memory chart reports, whatever
    // the depth. (With a buffer per intermediate until the submit, 12 Mamba layers held 3.2x the peak.)
    const e = await testEngine();
    const tiny = presetModel('tiny-mamba')!;
    const config: ModelConfig = { ...tiny, layers: Array.from({ length: 12 }, () => tiny.layers[0]) };
    const model = GpuModel.create(e, config, initModelWeights(config, 2));
    const [B, L] = [1, 300];
    e.alloc.trimPool();
    e.alloc.resetPeak();
    const weights = e.memory().live.weights;
    const base = e.memory().live.total;
    const logits = model.forward(ids(B * L, config.vocabSize, 6), B, L);
    await e.read(logits);
    const m = e.memory();
    const peakAbove = m.peak.total - base;
    expect(peakAbove).toBeGreaterThan(0);
    expect(m.live.weights).toBe(weights);
    expect(m.live.total - base + m.pooled).toBeLessThanOrEqual(1.25 * peakAbove);
    logits.release();
    model.release();
    e.alloc.trimPool();
  });

  it('a forward pass leaves nothing new live once its logits are released, for every block kind (GLA kept its final state until now)', async () => {
    const e = await testEngine();
    const tinyGla: ModelConfig = {
      ...presetModel('tiny-mamba')!,
      name: 'tiny GLA',
      layers: [0, 1].map(() => ({ mixer: { kind: 'gla', heads: 2, expandK: 0.5, expandV: 1 }, mlp: { kind: 'swiglu', hidden: 64 } })) as ModelConfig['layers'],
    };
    for (const config of [...TINY.map((id) => presetModel(id)!), tinyGla]) {
      const model = GpuModel.create(e, config, initModelWeights(config, 3));
      const [B, L] = [2, 40];
      // The first forward sizes the kernels' pooled scratch (kept by design); later ones add nothing.
      let after: number | null = null;
      for (let i = 0; i < 3; i++) {
        const logits = model.forward(ids(B * L, config.vocabSize, 7 + i), B, L);
        await e.read(logits);
        logits.release();
        after ??= e.memory().live.total;
        expect(e.memory().live.total, `${config.name}, forward ${i + 1}`).toBe(after);
      }
      model.release();
    }
  });

  it('every weight name the cost model lists is initialised with its shape', () => {
    const config = presetModel('tiny-hybrid')!;
    const w = initModelWeights(config, 0);
    const shapes = weightShapes(config);
    expect(Object.keys(w).sort()).toEqual(Object.keys(shapes).sort());
    for (const [name, shape] of Object.entries(shapes)) expect(w[name].data.length, name).toBe(shape.reduce((a, b) => a * b, 1));
  });
});
