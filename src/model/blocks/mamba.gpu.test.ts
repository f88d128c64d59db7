// The Mamba block on the GPU against its float64 twin (mambaBlockRef), with officially initialized
// weights: prefill in both scan variants, prefill of L then k decode steps equal to prefill of L + k,
// prefill continued from a state, the decode dispatch count, the initialization and settings.
import { describe, expect, it } from 'vitest';
import { testEngine } from '../../testing/engine';
import { normalArray, relativeError, rng } from '../../testing/random';
import { rmsnormRef, softplus } from '../../reference/basic';
import { MambaBlock, createMambaBlock, initMambaWeights, mambaBlockRef, resolveMambaSettings, type MambaSettings } from './mamba';
import { KernelInputError } from '../../engine/errors';

/** Rows [from, to) of every sequence of a (B, L, d) array. */
function tokens(x: Float32Array | Float64Array, batch: number, seqLen: number, d: number, from: number, to: number): Float32Array {
  const out = new Float32Array(batch * (to - from) * d);
  for (let b = 0; b < batch; b++) out.set(x.subarray((b * seqLen + from) * d, (b * seqLen + to) * d), b * (to - from) * d);
  return out;
}

describe('Mamba block against mambaBlockRef (float64)', () => {
  const configs: [string, number, Partial<MambaSettings>, number, number][] = [
    // name, dModel, settings, batch, seqLen
    ['defaults, odd L', 24, {}, 2, 37],
    ['dState 5, dConv 3, expand 1.5, dtRank 3', 20, { dState: 5, dConv: 3, expand: 1.5, dtRank: 3 }, 1, 130],
    ['long enough for several chunks', 8, { dState: 8 }, 1, 700],
  ];
  for (const [name, dModel, partial, batch, seqLen] of configs) {
    for (const variant of ['sequential', 'chunked'] as const) {
      it(`${variant}: ${name} (d=${dModel}, B=${batch}, L=${seqLen})`, async () => {
        const e = await testEngine();
        const settings = resolveMambaSettings(partial, dModel);
        const weights = initMambaWeights(settings, dModel, rng(dModel + seqLen));
        const x = normalArray(batch * seqLen * dModel, seqLen);
        const block = new MambaBlock(e, settings, dModel, weights, { scanVariant: variant });
        const out = block.forward(e.upload(x, [batch, seqLen, dModel], 'activations', 'x'));
        expect(out.shape).toEqual([batch, seqLen, dModel]);
        const ref = mambaBlockRef(settings, dModel, weights, x, batch, seqLen);
        expect(relativeError(await e.read(out), ref)).toBeLessThan(2e-5);
        block.release();
      });
    }
  }

  it('prefill of L then k decode steps equals prefill of L + k; a prefill continued from a state too', async () => {
    const e = await testEngine();
    const [dModel, batch, prefill, steps] = [16, 2, 9, 6];
    const total = prefill + steps;
    const settings = resolveMambaSettings({ dState: 16 }, dModel);
    const weights = initMambaWeights(settings, dModel, rng(5));
    // Larger inputs than a trained model sees, so that states and gates are far from zero.
    const x = normalArray(batch * total * dModel, 6, 2);
    const block = createMambaBlock(e, settings, dModel, weights);
    const ref = mambaBlockRef(settings, dModel, weights, x, batch, total);
    const full = await e.read(block.forward(e.upload(x, [batch, total, dModel], 'activations', 'x')));
    expect(relativeError(full, ref)).toBeLessThan(2e-5);

    // Prefill then steps.
    const state = block.createState(batch, total);
    expect(state.tensors.every((t) => t.category === 'cache')).toBe(true);
    const head = await e.read(block.forward(e.upload(tokens(x, batch, total, dModel, 0, prefill), [batch, prefill, dModel], 'activations', 'head'), state));
    expect(state.position).toBe(prefill);
    const got = new Float32Array(batch * total * dModel);
    for (let b = 0; b < batch; b++) got.set(head.subarray(b * prefill * dModel, (b + 1) * prefill * dModel), b * total * dModel);
    for (let t = prefill; t < total; t++) {
      const before = e.dispatchCount;
      const y = block.step(e.upload(tokens(x, batch, total, dModel, t, t + 1), [batch, 1, dModel], 'activations', 'tok'), state);
      expect(e.dispatchCount - before).toBe(4);
      const out = await e.read(y);
      for (let b = 0; b < batch; b++) got.set(out.subarray(b * dModel, (b + 1) * dModel), (b * total + t) * dModel);
    }
    expect(state.position).toBe(total);
    expect(relativeError(got, ref)).toBeLessThan(2e-5);
    expect(relativeError(got, full)).toBeLessThan(2e-5);

    // Prefill in two pieces (the second continues from the state of the first).
    const state2 = block.createState(batch, total);
    const cut = 4;
    const a = await e.read(block.forward(e.upload(tokens(x, batch, total, dModel, 0, cut), [batch, cut, dModel], 'activations', 'a'), state2));
    const bPart = await e.read(block.forward(e.upload(tokens(x, batch, total, dModel, cut, total), [batch, total - cut, dModel], 'activations', 'b'), state2));
    const joined = new Float32Array(batch * total * dModel);
    for (let b = 0; b < batch; b++) {
      joined.set(a.subarray(b * cut * dModel, (b + 1) * cut * dModel), b * total * dModel);
      joined.set(bPart.subarray(b * (total - cut) * dModel, (b + 1) * (total - cut) * dModel), (b * total + cut) * dModel);
    }
    expect(relativeError(joined, ref)).toBeLessThan(2e-5);
    block.release();
  });

  it('stepInto (norm fused into in_proj, residual into out_proj: 4 dispatches) equals step on the normed residual', async () => {
    const e = await testEngine();
    for (const [dModel, partial, batch] of [
      [16, {}, 2],
      [20, { dState: 5, dConv: 3, expand: 1.5, dtRank: 3 }, 3],
    ] as [number, Partial<MambaSettings>, number][]) {
      const settings = resolveMambaSettings(partial, dModel);
      const block = createMambaBlock(e, settings, dModel, initMambaWeights(settings, dModel, rng(dModel)));
      const L0 = 5;
      const x = normalArray(batch * (L0 + 2) * dModel, 9, 1.5);
      const normW = normalArray(dModel, 10);
      const norm = { weight: e.upload(normW, [dModel], 'weights', 'norm'), eps: 1e-5 };
      const [a, b] = [block.createState(batch, 8), block.createState(batch, 8)];
      for (const s of [a, b]) block.forward(e.upload(tokens(x, batch, L0 + 2, dModel, 0, L0), [batch, L0, dModel], 'activations', 'x'), s);
      for (let t = L0; t < L0 + 2; t++) {
        const tok = tokens(x, batch, L0 + 2, dModel, t, t + 1);
        const normed = Float32Array.from(rmsnormRef(tok, normW, dModel, 1e-5));
        const y = await e.read(block.step(e.upload(normed, [batch, 1, dModel], 'activations', 'h'), a));
        const residual = e.upload(tok, [batch, 1, dModel], 'activations', 'residual');
        const before = e.dispatchCount;
        block.stepInto(residual, norm, b);
        expect(e.dispatchCount - before).toBe(4);
        expect(relativeError(await e.read(residual), Array.from(tok, (v, i) => v + y[i]))).toBeLessThan(2e-5);
      }
      [...a.tensors, ...b.tensors].forEach((t) => t.release());
      block.release();
    }
  });

  it('initializes weights as the official module does', () => {
    const dModel = 32;
    const s = resolveMambaSettings(undefined, dModel);
    expect(s).toEqual({ dState: 16, dConv: 4, expand: 2, dtRank: 2 });
    const w = initMambaWeights(s, dModel, rng(1));
    const dInner = 64;
    expect(w['in_proj.weight'].shape).toEqual([2 * dInner, dModel]);
    expect(w['conv1d.weight'].shape).toEqual([dInner, 1, 4]);
    expect(w['x_proj.weight'].shape).toEqual([2 + 32, dInner]);
    expect(w.A_log.data[3 * 16 + 4]).toBeCloseTo(Math.log(5), 6);
    expect(Array.from(w.D.data).every((v) => v === 1)).toBe(true);
    const dts = Array.from(w['dt_proj.bias'].data, softplus);
    expect(Math.min(...dts)).toBeGreaterThanOrEqual(0.001 * 0.999);
    expect(Math.max(...dts)).toBeLessThanOrEqual(0.1 * 1.001);
    const maxAbs = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(maxAbs(w['dt_proj.weight'].data)).toBeLessThanOrEqual(2 ** -0.5);
    expect(maxAbs(w['in_proj.weight'].data)).toBeLessThanOrEqual(1 / Math.sqrt(dModel));
    expect(maxAbs(w['in_proj.weight'].data)).toBeGreaterThan(0.9 / Math.sqrt(dModel));
    expect(maxAbs(w['out_proj.weight'].data)).toBeLessThanOrEqual(1 / Math.sqrt(dInner));
    expect(maxAbs(w['conv1d.weight'].data)).toBeLessThanOrEqual(0.5);
  });

  it('names a missing or misshapen weight', async () => {
    const e = await testEngine();
    const s = resolveMambaSettings({}, 16);
    const w = initMambaWeights(s, 16, rng(2));
    const { A_log: _drop, ...missing } = w;
    void _drop;
    expect(() => new MambaBlock(e, s, 16, missing)).toThrow(/missing weight 'A_log'/);
    expect(() => new MambaBlock(e, s, 16, { ...w, D: { shape: [3], data: new Float32Array(3) } })).toThrow(KernelInputError);
  });
});
