// The attention, GLA and SwiGLU MLP blocks on the GPU against their float64 twins, with initialized
// weights: prefill for each gate kind and grouped-query heads, prefill of L then k decode steps equal to
// prefill of L + k, the KV cache size, and the weight checks.
import { describe, expect, it } from 'vitest';
import { testEngine } from '../../testing/engine';
import { normalArray, relativeError, rng } from '../../testing/random';
import { KernelInputError } from '../../engine/errors';
import type { HostWeights, SequenceBlock, BlockState } from '../mixer';
import { rmsnormRef } from '../../reference/basic';
import { attentionBlockRef, createAttentionBlock, initAttentionWeights, type AttentionBlockSettings } from './attention';
import { createGlaBlock, glaBlockRef, initGlaWeights, type GlaBlockSettings } from './gla';
import { createMlpBlock, initMlpWeights, mlpBlockRef } from './mlp';

const TOL = 1e-4;

/** Rows [from, to) of every sequence of a (B, L, d) array. */
function tokens(x: ArrayLike<number>, batch: number, seqLen: number, d: number, from: number, to: number): Float32Array {
  const out = new Float32Array(batch * (to - from) * d);
  for (let b = 0; b < batch; b++) for (let i = 0; i < (to - from) * d; i++) out[b * (to - from) * d + i] = x[(b * seqLen + from) * d + i];
  return out;
}

/** Prefill of the first L0 tokens with a state, then single steps; returns the outputs (B, L, d) in order. */
async function prefillThenSteps<S extends BlockState>(block: SequenceBlock<S>, x: Float32Array, B: number, L: number, d: number, L0: number, capacity: number) {
  const e = await testEngine();
  const state = block.createState(B, capacity);
  const parts: Float32Array[] = [];
  parts.push(await e.read(block.forward(e.upload(tokens(x, B, L, d, 0, L0), [B, L0, d], 'activations', 'x'), state)));
  for (let t = L0; t < L; t++) parts.push(await e.read(block.step(e.upload(tokens(x, B, L, d, t, t + 1), [B, 1, d], 'activations', 'x'), state)));
  const out = new Float32Array(B * L * d);
  let t0 = 0;
  for (const p of parts) {
    const n = p.length / (B * d);
    for (let b = 0; b < B; b++) out.set(p.subarray(b * n * d, (b + 1) * n * d), (b * L + t0) * d);
    t0 += n;
  }
  return { out, state };
}

/**
 * After the same prefill, stepInto(residual, norm) must leave residual + step(rmsnorm(residual)) in the
 * residual, in `dispatches` dispatches; run for two tokens in a row.
 */
async function stepIntoMatchesStep<S extends BlockState>(block: SequenceBlock<S>, B: number, d: number, L0: number, capacity: number, dispatches: number) {
  const e = await testEngine();
  const x = normalArray(B * (L0 + 2) * d, 77, 1.5);
  const normW = normalArray(d, 78);
  const eps = 1e-5;
  const norm = { weight: e.upload(normW, [d], 'weights', 'norm'), eps };
  const [a, b] = [block.createState(B, capacity), block.createState(B, capacity)];
  for (const s of [a, b]) block.forward(e.upload(tokens(x, B, L0 + 2, d, 0, L0), [B, L0, d], 'activations', 'x'), s);
  for (let t = L0; t < L0 + 2; t++) {
    const tok = tokens(x, B, L0 + 2, d, t, t + 1);
    const normed = Float32Array.from(rmsnormRef(tok, normW, d, eps));
    const y = await e.read(block.step(e.upload(normed, [B, 1, d], 'activations', 'h'), a));
    const residual = e.upload(tok, [B, 1, d], 'activations', 'residual');
    const before = e.dispatchCount;
    block.stepInto(residual, norm, b);
    expect(e.dispatchCount - before).toBe(dispatches);
    expect(relativeError(await e.read(residual), Array.from(tok, (v, i) => v + y[i])), `token ${t}`).toBeLessThan(TOL);
  }
  expect(b.position).toBe(a.position);
  [...a.tensors, ...b.tensors].forEach((t) => t.release());
}

describe('attention block against attentionBlockRef', () => {
  const configs: [string, AttentionBlockSettings, number, number, number][] = [
    // name, settings, dModel, B, L
    ['plain, 4 heads', { heads: 4 }, 32, 2, 37],
    ['grouped-query 4/2, head dim 16, headwise gate', { heads: 4, kvHeads: 2, headDim: 16, gate: 'headwise' }, 40, 1, 70],
    ['multi-query 4/1, elementwise gate, rope base 500000', { heads: 4, kvHeads: 1, gate: 'elementwise', ropeBase: 500000 }, 64, 2, 66],
  ];
  for (const [name, settings, d, B, L] of configs) {
    it(`prefill: ${name}`, async () => {
      const e = await testEngine();
      const w = initAttentionWeights(settings, d, rng(d + L));
      const block = createAttentionBlock(e, settings, d, w);
      const x = normalArray(B * L * d, L);
      const got = await e.read(block.forward(e.upload(x, [B, L, d], 'activations', 'x')));
      expect(relativeError(got, attentionBlockRef(settings, d, w, Float64Array.from(x), B, L))).toBeLessThan(TOL);
      block.release();
    });

    it(`prefill of L - 5 then 5 steps equals prefill of L: ${name}`, async () => {
      const e = await testEngine();
      const w = initAttentionWeights(settings, d, rng(d + L + 1));
      const block = createAttentionBlock(e, settings, d, w);
      const x = normalArray(B * L * d, L + 1);
      const capacity = L + 3;
      const before = e.memory().live.cache;
      const { out, state } = await prefillThenSteps(block, x, B, L, d, L - 5, capacity);
      const H = settings.heads;
      const Hkv = settings.kvHeads ?? H;
      const E = settings.headDim ?? d / H;
      expect(e.memory().live.cache - before).toBe(2 * B * Hkv * capacity * E * 4);
      expect(state.position).toBe(L);
      expect(relativeError(out, attentionBlockRef(settings, d, w, Float64Array.from(x), B, L))).toBeLessThan(TOL);
      const extra = e.upload(new Float32Array(B * 4 * d), [B, 4, d], 'activations', 'x');
      expect(() => block.forward(extra, state)).toThrow(/capacity/);
      state.tensors.forEach((t) => t.release());
      block.release();
    });
  }

  for (const [name, settings, d, B] of configs) {
    it(`stepInto (norm and residual fused, 5 dispatches) equals step on the normed residual: ${name}`, async () => {
      const e = await testEngine();
      const block = createAttentionBlock(e, settings, d, initAttentionWeights(settings, d, rng(d + 2)));
      await stepIntoMatchesStep(block, B, d, 7, 12, 5);
      block.release();
    });
  }

  it('names a missing or misshapen weight', async () => {
    const e = await testEngine();
    const settings: AttentionBlockSettings = { heads: 2, gate: 'headwise' };
    const w: HostWeights = initAttentionWeights(settings, 16, rng(1));
    const { 'g_proj.weight': _g, ...noGate } = w;
    void _g;
    expect(() => createAttentionBlock(e, settings, 16, noGate)).toThrow(/g_proj\.weight/);
    expect(() => createAttentionBlock(e, settings, 16, { ...w, 'k_proj.weight': { shape: [8, 16], data: new Float32Array(128) } })).toThrow(KernelInputError);
  });
});

describe('GLA block against glaBlockRef', () => {
  const configs: [string, GlaBlockSettings, number, number, number][] = [
    ['2 heads, defaults (K 8, V 16)', { heads: 2 }, 32, 2, 70],
    ['4 heads, expandK 1, expandV 2, several chunks', { heads: 4, expandK: 1, expandV: 2 }, 64, 1, 150],
  ];
  for (const [name, settings, d, B, L] of configs) {
    it(`prefill: ${name}`, async () => {
      const e = await testEngine();
      const w = initGlaWeights(settings, d, rng(d + L));
      // Random biases and norm weights, so that every weight matters.
      w['gk_proj.1.bias'].data.set(normalArray(w['gk_proj.1.bias'].data.length, 3));
      w['o_norm.weight'].data.set(normalArray(w['o_norm.weight'].data.length, 4));
      const block = createGlaBlock(e, settings, d, w);
      const x = normalArray(B * L * d, L);
      const got = await e.read(block.forward(e.upload(x, [B, L, d], 'activations', 'x')));
      expect(relativeError(got, glaBlockRef(settings, d, w, Float64Array.from(x), B, L))).toBeLessThan(TOL);
      block.release();
    });

    it(`prefill of L - 4 then 4 steps equals prefill of L: ${name}`, async () => {
      const e = await testEngine();
      const w = initGlaWeights(settings, d, rng(d + L + 1));
      const block = createGlaBlock(e, settings, d, w);
      const x = normalArray(B * L * d, L + 1);
      const before = e.memory().live.cache;
      const { out, state } = await prefillThenSteps(block, x, B, L, d, L - 4, 1);
      const K = (d * (settings.expandK ?? 0.5)) / settings.heads;
      const V = (d * (settings.expandV ?? 1)) / settings.heads;
      expect(e.memory().live.cache - before).toBe(B * settings.heads * K * V * 4);
      expect(relativeError(out, glaBlockRef(settings, d, w, Float64Array.from(x), B, L))).toBeLessThan(TOL);
      state.tensors.forEach((t) => t.release());
      block.release();
    });

    it(`stepInto (norm into the projections, gate/state/o_norm/swish in one kernel, residual into o_proj: 3 dispatches) equals step on the normed residual: ${name}`, async () => {
      const e = await testEngine();
      const w = initGlaWeights(settings, d, rng(d + 3));
      w['gk_proj.1.bias'].data.set(normalArray(w['gk_proj.1.bias'].data.length, 3));
      const block = createGlaBlock(e, settings, d, w);
      await stepIntoMatchesStep(block, B, d, 5, 1, 3);
      block.release();
    });
  }
});

describe('SwiGLU MLP block against mlpBlockRef', () => {
  it('forward and step', async () => {
    const e = await testEngine();
    const [d, hidden, B, L] = [24, 40, 2, 9];
    const w = initMlpWeights({ hidden }, d, rng(5));
    const block = createMlpBlock(e, { hidden }, d, w);
    const x = normalArray(B * L * d, 6);
    const ref = mlpBlockRef({ hidden }, d, w, Float64Array.from(x), B, L);
    expect(relativeError(await e.read(block.forward(e.upload(x, [B, L, d], 'activations', 'x'))), ref)).toBeLessThan(TOL);
    const { out } = await prefillThenSteps(block, x, B, L, d, 6, 0);
    expect(relativeError(out, ref)).toBeLessThan(TOL);
    expect(() => createMlpBlock(e, { hidden: 41 }, d, w)).toThrow(/gate_proj\.weight/);
  });

  it('stepInto (norm fused into gate|up, silu·up into down, residual added: 2 dispatches) equals step on the normed residual', async () => {
    const e = await testEngine();
    for (const [d, hidden, B] of [
      [24, 40, 2],
      [20, 33, 1],
    ]) {
      const block = createMlpBlock(e, { hidden }, d, initMlpWeights({ hidden }, d, rng(hidden)));
      await stepIntoMatchesStep(block, B, d, 3, 0, 2);
      block.release();
    }
  });
});
