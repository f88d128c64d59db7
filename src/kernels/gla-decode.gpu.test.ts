// GLA decode kernels against their float64 twins: glaInProjStep (pre-norm + five projections in one gemv)
// against gemvRef, glaStep (gate, state update, output, o_norm, swish gate) against glaStepRef, on
// awkward sizes (d not a multiple of 4, V above and below the workgroup size, K not a power of two,
// several sequences), and several steps in a row against the recurrent twin.
import { describe, expect, it } from 'vitest';
import { testEngine } from '../testing/engine';
import { normalArray, relativeError, uniformArray } from '../testing/random';
import { gemvRef } from '../reference/decode';
import { glaStepRef } from '../reference/gla';
import { GLA_STEP_MAX_K, glaInProjStep, glaStep } from './gla';
import { KernelInputError } from '../engine/errors';

describe('gla_in_proj_step against gemvRef', () => {
  for (const [B, d, kd, vd, R, norm] of [
    [1, 64, 32, 64, 16, true],
    [3, 37, 10, 22, 16, true],
    [2, 768, 384, 768, 16, false],
    [9, 20, 8, 12, 3, true],
  ] as const) {
    it(`B=${B} d=${d} keyDim=${kd} valueDim=${vd} R=${R}${norm ? ' with the pre-norm' : ''}`, async () => {
      const e = await testEngine();
      const x = normalArray(B * d, 1);
      const rows = [kd, kd, vd, vd, R];
      const ws = rows.map((n, i) => normalArray(n * d, 10 + i, 0.2));
      const nw = uniformArray(d, 20, 0.5, 1.5);
      const N = rows.reduce((a, b) => a + b, 0);
      const out = e.tensor([B, 1, N], 'activations', 'out');
      const wT = ws.map((w, i) => e.upload(w, [rows[i], d], 'weights', `w${i}`));
      glaInProjStep(e, {
        x: e.upload(x, [B, 1, d], 'activations', 'x'),
        norm: norm ? { weight: e.upload(nw, [d], 'weights', 'norm'), eps: 1e-5 } : undefined,
        weights: wT as [typeof out, typeof out, typeof out, typeof out, typeof out],
        out,
      });
      const ref = gemvRef({ a: x, rows: B, width: d, K: d, weights: ws.map((data, i) => ({ data, rows: rows[i] })), norm: norm ? { weight: nw, eps: 1e-5 } : undefined });
      expect(relativeError(await e.read(out), ref)).toBeLessThan(1e-5);
    });
  }
});

interface StepCase {
  B: number;
  H: number;
  K: number;
  V: number;
  R: number;
}

async function runSteps(c: StepCase, steps: number, seed: number) {
  const e = await testEngine();
  const { B, H, K, V, R } = c;
  const width = 2 * H * K + 2 * H * V + R;
  const gateWeight = normalArray(H * K * R, seed, 0.5);
  const gateBias = uniformArray(H * K, seed + 1, -1, 3);
  const normWeight = uniformArray(V, seed + 2, 0.5, 1.5);
  const state0 = normalArray(B * H * K * V, seed + 3);
  const gw = e.upload(gateWeight, [H * K, R], 'weights', 'gk_proj.1');
  const gb = e.upload(gateBias, [H * K], 'weights', 'gk_bias');
  const nw = e.upload(normWeight, [V], 'weights', 'o_norm');
  const state = e.upload(state0, [B, H, K, V], 'cache', 'state');
  const out = e.tensor([B, 1, H * V], 'activations', 'out');
  let refState: ArrayLike<number> = state0;
  let ref: Float64Array = new Float64Array(0);
  for (let s = 0; s < steps; s++) {
    const proj = normalArray(B * width, seed + 10 + s);
    glaStep(e, { proj: e.upload(proj, [B, 1, width], 'activations', 'proj'), heads: H, headK: K, headV: V, gateWeight: gw, gateBias: gb, gateNormalizer: 16, normWeight: nw, eps: 1e-5, state, out });
    const r = glaStepRef({ proj, B, H, K, V, R, gateWeight, gateBias, gateNormalizer: 16, normWeight, eps: 1e-5, state: refState });
    refState = r.state;
    ref = r.out;
  }
  return { got: { out: await e.read(out), state: await e.read(state) }, ref: { out: ref, state: refState } };
}

describe('gla_step against glaStepRef', () => {
  const cases: StepCase[] = [
    { B: 1, H: 4, K: 96, V: 192, R: 16 },
    { B: 3, H: 2, K: 16, V: 32, R: 16 },
    { B: 2, H: 3, K: 7, V: 300, R: 5 },
    { B: 1, H: 1, K: 256, V: 20, R: 16 },
    { B: 5, H: 5, K: 33, V: 1, R: 1 },
  ];
  for (const [n, c] of cases.entries()) {
    it(`B=${c.B} H=${c.H} K=${c.K} V=${c.V} R=${c.R}`, async () => {
      const { got, ref } = await runSteps(c, 1, 100 + 20 * n);
      expect(relativeError(got.out, ref.out)).toBeLessThan(2e-5);
      expect(relativeError(got.state, ref.state)).toBeLessThan(2e-5);
    });
  }

  it('five steps in a row carry the state', async () => {
    const { got, ref } = await runSteps({ B: 2, H: 2, K: 24, V: 40, R: 16 }, 5, 7);
    expect(relativeError(got.out, ref.out)).toBeLessThan(2e-5);
    expect(relativeError(got.state, ref.state)).toBeLessThan(2e-5);
  });

  it(`refuses a key head dim above ${GLA_STEP_MAX_K} and a proj row of the wrong width`, async () => {
    const e = await testEngine();
    const K = GLA_STEP_MAX_K + 1;
    const args = (K: number, width: number) => ({
      proj: e.tensor([1, 1, width], 'activations', 'proj'),
      heads: 1, headK: K, headV: 4,
      gateWeight: e.tensor([K, 2], 'weights', 'gw'),
      gateBias: e.tensor([K], 'weights', 'gb'),
      gateNormalizer: 16,
      normWeight: e.tensor([4], 'weights', 'nw'),
      eps: 1e-5,
      state: e.tensor([1, 1, K, 4], 'cache', 'state'),
      out: e.tensor([1, 1, 4], 'activations', 'out'),
    });
    expect(() => glaStep(e, args(K, 2 * K + 8 + 2))).toThrow(KernelInputError);
    expect(() => glaStep(e, args(8, 2 * 8 + 8 + 3))).toThrow(KernelInputError);
  });
});
