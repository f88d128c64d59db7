// The fused decode gemv kernels against their float64 twins (src/reference/decode.ts) on awkward sizes, with
// the subgroup reduction (when the device has 'subgroups') and the workgroup-memory reduction both.
import { describe, expect, it } from 'vitest';
import { Engine } from '../engine/engine';
import { testEngine } from '../testing/engine';
import { normalArray, relativeError } from '../testing/random';
import { gemvRef, mambaInProjStepRef } from '../reference/decode';
import { gemv, gemvConfig } from './matmul';
import { mambaInProjStep } from './mamba-in-proj-step';
import { KernelInputError } from '../engine/errors';

const TOL = 1e-5;

let noSubgroups: Promise<Engine> | null = null;
async function engines(): Promise<[string, Engine][]> {
  const e = await testEngine();
  noSubgroups ??= Engine.create(globalThis.__HP_TEST_GPU__, { disableFeatures: ['subgroups'] });
  const f = await noSubgroups;
  expect(f.report.features.subgroups).toBe(false);
  return e.report.features.subgroups ? [['subgroups', e], ['workgroup memory', f]] : [['workgroup memory', e]];
}

describe('gemv with its fusions against gemvRef', () => {
  const cases: { name: string; rows: number; K: number; Ns: number[]; width?: number; offset?: number; norm?: boolean; swiglu?: boolean; acc?: boolean }[] = [
    { name: 'one weight, vec4 rows', rows: 1, K: 768, Ns: [80] },
    { name: 'scalar rows (K odd)', rows: 3, K: 7, Ns: [13] },
    { name: 'norm, 4 rows, large N (8 rows per workgroup)', rows: 4, K: 64, Ns: [9000], norm: true },
    { name: 'norm, K odd', rows: 2, K: 33, Ns: [41], norm: true },
    { name: 'four segments q|k|v|g of uneven sizes, norm', rows: 2, K: 40, Ns: [40, 20, 20, 4], norm: true },
    { name: 'three segments, scalar', rows: 1, K: 30, Ns: [5, 7, 3] },
    { name: 'swiglu input, accumulate (MLP down into the residual)', rows: 2, K: 52, Ns: [24], swiglu: true, acc: true },
    { name: 'swiglu input, K odd', rows: 1, K: 19, Ns: [10], swiglu: true },
    { name: 'column range (x_proj from [u | z])', rows: 2, K: 30, Ns: [14], width: 60, offset: 0 },
    { name: 'column range at an unaligned offset', rows: 1, K: 16, Ns: [6], width: 27, offset: 5 },
    { name: 'long K (several elements per invocation)', rows: 1, K: 3072, Ns: [37], acc: true },
    { name: '5 rows (one chunk of 8), norm', rows: 5, K: 24, Ns: [33, 9], norm: true },
    { name: '19 rows (chunks of 8, 8 and 3), swiglu, accumulate', rows: 19, K: 12, Ns: [21], swiglu: true, acc: true },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      for (const [path, e] of await engines()) {
        const inputs = c.swiglu ? 2 * c.K : c.K;
        const width = c.width ?? inputs;
        const a = normalArray(c.rows * width, c.K + c.rows, 1.5);
        const ws = c.Ns.map((n, i) => normalArray(n * c.K, n + 7 * i));
        const g = normalArray(c.K, 3);
        const N = c.Ns.reduce((x, y) => x + y, 0);
        const base = normalArray(c.rows * N, 4);
        const out = e.upload(c.acc ? base : new Float32Array(c.rows * N), [c.rows, 1, N], 'activations', 'out');
        const before = e.dispatchCount;
        gemv(e, {
          a: e.upload(a, [c.rows, 1, width], 'activations', 'a'),
          weights: ws.map((w, i) => e.upload(w, [c.Ns[i], c.K], 'weights', `w${i}`)),
          aColumns: c.offset !== undefined ? { offset: c.offset, count: inputs } : undefined,
          norm: c.norm ? { weight: e.upload(g, [c.K], 'weights', 'g'), eps: 1e-5 } : undefined,
          swiglu: c.swiglu,
          accumulate: c.acc,
          out,
        });
        expect(e.dispatchCount - before).toBe(1);
        const ref = gemvRef({
          a,
          rows: c.rows,
          width,
          K: c.K,
          aColumns: c.offset !== undefined ? { offset: c.offset, count: inputs } : undefined,
          weights: ws.map((w, i) => ({ data: w, rows: c.Ns[i] })),
          norm: c.norm ? { weight: g, eps: 1e-5 } : undefined,
          swiglu: c.swiglu,
          accumulateInto: c.acc ? base : undefined,
        });
        expect(relativeError(await e.read(out), ref), path).toBeLessThan(TOL);
      }
    });
  }

  it('refuses 5 weights, mismatched K and a norm weight of the wrong size', async () => {
    const e = await testEngine();
    const w = e.tensor([8, 12], 'weights', 'w');
    expect(() => gemv(e, { a: e.tensor([1, 12], 'activations', 'a'), weights: [w, w, w, w, w] })).toThrow(/5 weights/);
    expect(() => gemv(e, { a: e.tensor([1, 13], 'activations', 'a'), weights: [w] })).toThrow(KernelInputError);
    expect(() => gemv(e, { a: e.tensor([1, 12], 'activations', 'a'), weights: [w], norm: { weight: e.tensor([11], 'weights', 'g'), eps: 1e-5 } })).toThrow(/norm weight/);
  });

  it('picks more rows per workgroup for larger N and a power-of-two workgroup by K', async () => {
    const e = await testEngine();
    const small = gemvConfig(e, 1, 1536, 80, true);
    const head = gemvConfig(e, 1, 768, 50280, true);
    expect(small.rows).toBe(1);
    expect(head.rows).toBeGreaterThan(1);
    for (const c of [small, head]) expect(Math.log2(c.wg) % 1).toBe(0);
  });
});

describe('mamba_in_proj_step against mambaInProjStepRef', () => {
  const cases: [string, number, number, number, number, boolean][] = [
    // name, batch, dModel, dInner, conv width, norm
    ['defaults, norm', 1, 32, 64, 4, true],
    ['batch 3, odd sizes, no norm', 3, 20, 30, 3, false],
    ['batch 4, width 2, norm, scalar rows', 4, 18, 27, 2, true],
    ['width 1 (no conv state)', 2, 16, 24, 1, true],
    ['batch 11 (row chunks), norm', 11, 16, 20, 4, true],
  ];
  for (const [name, B, d, Di, W, norm] of cases) {
    it(name, async () => {
      for (const [path, e] of await engines()) {
        const x = normalArray(B * d, d + B, 2);
        const inProj = normalArray(2 * Di * d, Di, 0.3);
        const g = normalArray(d, 5);
        const convWeight = normalArray(Di * W, 6, 0.5);
        const convBias = normalArray(Di, 7, 0.5);
        let convState = normalArray(B * (W - 1) * Di, 8);
        const stateT = e.upload(convState, [B, W - 1, Di], 'cache', 'conv');
        const gT = e.upload(g, [d], 'weights', 'g');
        const args = {
          norm: norm ? { weight: gT, eps: 1e-5 } : undefined,
          inProj: e.upload(inProj, [2 * Di, d], 'weights', 'in_proj'),
          convWeight: e.upload(convWeight, [Di, W], 'weights', 'conv.w'),
          convBias: e.upload(convBias, [Di], 'weights', 'conv.b'),
          convState: stateT,
          out: e.tensor([B, 1, 2 * Di], 'activations', 'uz'),
        };
        // Two tokens in a row: the second reads the state the first left.
        for (let step = 0; step < 2; step++) {
          const xs = normalArray(B * d, d + B + step, 2);
          mambaInProjStep(e, { x: e.upload(xs, [B, 1, d], 'activations', 'x'), ...args });
          const ref = mambaInProjStepRef({ x: xs, rows: B, dModel: d, dInner: Di, inProj, norm: norm ? { weight: g, eps: 1e-5 } : undefined, convWeight, convBias, width: W, convState });
          expect(relativeError(await e.read(args.out), ref.out), `${path}, step ${step}`).toBeLessThan(TOL);
          if (W > 1) expect(relativeError(await e.read(stateT), ref.convState), `${path}, state after step ${step}`).toBeLessThan(TOL);
          convState = Float32Array.from(ref.convState);
          void x;
        }
      }
    });
  }
});
