// Causal conv1d (sequence, state update, one-token step) against the float64 twin: widths 1 to 5, with
// and without bias and SiLU, odd channel counts, L = 1 and L < W - 1, a column slice of a wider input,
// a starting conv state, and a chain of steps equal to the whole sequence.
import { describe, expect, it } from 'vitest';
import { testEngine } from '../testing/engine';
import { normalArray, relativeError } from '../testing/random';
import { causalConv1dRef } from '../reference/mamba';
import { causalConv1d, causalConv1dStep } from './causal-conv1d';
import { KernelInputError } from '../engine/errors';

describe('causal conv1d against causal_conv1d_ref (float64)', () => {
  const cases: [number, number, number, number, boolean, 'silu' | 'none'][] = [
    // batch, seqLen, channels, width, bias, activation
    [2, 300, 33, 4, true, 'silu'],
    [1, 1, 5, 4, true, 'silu'],
    [3, 2, 7, 5, false, 'none'],
    [1, 17, 300, 2, true, 'none'],
    [2, 9, 3, 1, false, 'silu'],
    [1, 40, 9, 3, true, 'silu'],
  ];
  for (const [batch, seqLen, channels, width, withBias, activation] of cases) {
    it(`B=${batch} L=${seqLen} D=${channels} W=${width}${withBias ? ' bias' : ''} ${activation}, from a conv state, updating it`, async () => {
      const e = await testEngine();
      const seed = seqLen * 3 + channels + width;
      const x = normalArray(batch * seqLen * channels, seed);
      const weight = normalArray(channels * width, seed + 1, 0.5);
      const bias = withBias ? normalArray(channels, seed + 2) : null;
      const state0 = normalArray(batch * (width - 1) * channels, seed + 3);

      const xT = e.upload(x, [batch, seqLen, channels], 'activations', 'x');
      const wT = e.upload(weight, [channels, width], 'weights', 'w');
      const bT = bias ? e.upload(bias, [channels], 'weights', 'b') : undefined;

      // From zeros, no state.
      const plain = causalConv1d(e, { x: xT, weight: wT, bias: bT, activation });
      const refPlain = causalConv1dRef(x, weight, bias, batch, seqLen, channels, width, activation);
      expect(relativeError(await e.read(plain), refPlain.out)).toBeLessThan(1e-5);

      // From a given state, rewriting it.
      const stateT = e.upload(state0, [batch, width - 1, channels], 'cache', 'conv_state');
      const withState = causalConv1d(e, { x: xT, weight: wT, bias: bT, activation, convState: stateT, useInitialState: true, updateState: true });
      const refState = causalConv1dRef(x, weight, bias, batch, seqLen, channels, width, activation, state0);
      expect(relativeError(await e.read(withState), refState.out)).toBeLessThan(1e-5);
      if (width > 1) expect(relativeError(await e.read(stateT), refState.convState)).toBeLessThan(1e-6);
    });
  }

  it('reads x as a column slice of a wider tensor (in_proj output), and a chain of steps equals the sequence', async () => {
    const e = await testEngine();
    const [batch, seqLen, channels, width, cols, offset] = [2, 11, 13, 4, 30, 5];
    const wide = normalArray(batch * seqLen * cols, 9);
    const x = new Float32Array(batch * seqLen * channels);
    for (let r = 0; r < batch * seqLen; r++) for (let d = 0; d < channels; d++) x[r * channels + d] = wide[r * cols + offset + d];
    const weight = normalArray(channels * width, 10, 0.5);
    const bias = normalArray(channels, 11);
    const ref = causalConv1dRef(x, weight, bias, batch, seqLen, channels, width, 'silu');
    const wT = e.upload(weight, [channels, 1, width], 'weights', 'w');
    const bT = e.upload(bias, [channels], 'weights', 'b');
    const wideT = e.upload(wide, [batch, seqLen, cols], 'activations', 'wide');
    const seq = causalConv1d(e, { x: wideT, xLayout: { rowStride: cols, offset }, channels, weight: wT, bias: bT, activation: 'silu' });
    expect(relativeError(await e.read(seq), ref.out)).toBeLessThan(1e-5);

    // Steps: prefill 4 tokens with state, then one token at a time.
    const prefill = 4;
    const state = e.upload(new Float32Array(batch * (width - 1) * channels), [batch, width - 1, channels], 'cache', 'conv_state');
    const head = new Float32Array(batch * prefill * cols);
    for (let b = 0; b < batch; b++) head.set(wide.subarray(b * seqLen * cols, (b * seqLen + prefill) * cols), b * prefill * cols);
    const first = await e.read(
      causalConv1d(e, { x: e.upload(head, [batch, prefill, cols], 'activations', 'head'), xLayout: { rowStride: cols, offset }, channels, weight: wT, bias: bT, activation: 'silu', convState: state, useInitialState: true, updateState: true }),
    );
    const got = new Float32Array(batch * seqLen * channels);
    for (let b = 0; b < batch; b++) got.set(first.subarray(b * prefill * channels, (b + 1) * prefill * channels), b * seqLen * channels);
    for (let t = prefill; t < seqLen; t++) {
      const tok = new Float32Array(batch * cols);
      for (let b = 0; b < batch; b++) tok.set(wide.subarray((b * seqLen + t) * cols, (b * seqLen + t + 1) * cols), b * cols);
      const out = await e.read(causalConv1dStep(e, { x: e.upload(tok, [batch, 1, cols], 'activations', 'tok'), xLayout: { rowStride: cols, offset }, channels, weight: wT, bias: bT, activation: 'silu', convState: state }));
      for (let b = 0; b < batch; b++) got.set(out.subarray(b * channels, (b + 1) * channels), (b * seqLen + t) * channels);
    }
    expect(relativeError(got, ref.out)).toBeLessThan(1e-5);
    expect(relativeError(await e.read(state), ref.convState)).toBeLessThan(1e-6);
  });

  it('names a weight that does not match the channels', async () => {
    const e = await testEngine();
    const x = e.tensor([1, 4, 6], 'activations', 'x');
    const w = e.tensor([5, 4], 'weights', 'w');
    expect(() => causalConv1d(e, { x, weight: w })).toThrow(KernelInputError);
    expect(() => causalConv1d(e, { x, weight: w })).toThrow(/weight \(5, 4\) must be \(D, W\)/);
  });
});
