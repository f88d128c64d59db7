// Weights stored as fp16 (dtype 'f16', src/engine/half.ts) in every kernel that reads weight matrices,
// against the float64 twins given the same weights rounded to fp16: matmul in each variant, gemv with
// formats mixed across its weights, mamba_in_proj_step, embedding. Each case also checks that the halves
// were read as halves: the result differs from the float32 weights' by more than the tolerance.
import { describe, expect, it } from 'vitest';
import { testEngine } from '../testing/engine';
import { normalArray, relativeError } from '../testing/random';
import { embeddingRef, matmulRef } from '../reference/basic';
import { gemvRef, mambaInProjStepRef } from '../reference/decode';
import { roundArrayToHalf } from '../engine/half';
import { KernelInputError } from '../engine/errors';
import { embedding } from './embedding';
import { gemv, matmul, type MatmulVariant } from './matmul';
import { mambaInProjStep } from './mamba-in-proj-step';

const TOL = 1e-5;

describe('fp16 weights in the matmul variants', () => {
  const cases: [Exclude<MatmulVariant, 'auto'>, number, number, number, number, boolean][] = [
    // variant, batch, M, K, N, transposeB
    ['naive', 1, 5, 7, 13, true],
    ['naive', 2, 3, 9, 11, false],
    ['tiled', 1, 67, 129, 65, true],
    ['tiled', 2, 17, 31, 97, false],
    ['tiled', 1, 130, 257, 3, true],
    ['tiled-vec4', 1, 130, 68, 75, true],
    ['tiled-vec4', 3, 33, 256, 129, true],
    ['gemv', 1, 3, 36, 41, true],
    ['gemv', 1, 2, 19, 8, true],
  ];
  for (const [variant, batch, M, K, N, tB] of cases) {
    it(`${variant} batch=${batch} M=${M} K=${K} N=${N}${tB ? ' wᵀ' : ''}`, async () => {
      const e = await testEngine();
      const a = normalArray(batch * M * K, M * 31 + K);
      const w = normalArray(K * N, N * 17 + K, 0.7);
      const aT = e.upload(a, [batch, M, K], 'activations', 'a');
      const wT = e.uploadHalf(w, tB ? [N, K] : [K, N], 'weights', 'w');
      expect(wT.dtype).toBe('f16');
      expect(wT.bytes).toBe(4 * Math.ceil((K * N) / 2));
      const out = matmul(e, aT, wT, { transposeB: tB, variant });
      const got = await e.read(out);
      expect(relativeError(got, matmulRef(a, roundArrayToHalf(w), batch, M, K, N, tB, false))).toBeLessThan(TOL);
      expect(relativeError(got, matmulRef(a, w, batch, M, K, N, tB, false))).toBeGreaterThan(10 * TOL);
      [aT, wT, out].forEach((t) => t.release());
    });
  }

  it('reads the same halves back as the host rounded them', async () => {
    const e = await testEngine();
    const w = normalArray(37, 5, 100);
    const t = e.uploadHalf(w, [37], 'weights', 'w');
    expect(Array.from(await e.read(t))).toEqual(Array.from(roundArrayToHalf(w)));
    t.release();
  });

  it('refuses a weight fp16 cannot hold by name, and a u32 tensor as weights', async () => {
    const e = await testEngine();
    const w = normalArray(12, 1);
    w[7] = 1e5;
    expect(() => e.uploadHalf(w, [3, 4], 'weights', 'big.weight')).toThrow(KernelInputError);
    expect(() => e.uploadHalf(w, [3, 4], 'weights', 'big.weight')).toThrow(/big\.weight: cannot be stored as fp16: value 100000 at index 7/);
    const half = e.uploadHalf([1, 2, 3, 4], [4], 'weights', 'h');
    expect(() => e.write(half, [5, 6, 7, 8])).toThrow(/holds fp16 halves/);
    const ids = e.uploadU32([1, 2, 3, 4], [1, 4], 'activations', 'ids');
    expect(() => matmul(e, e.tensor([2, 4], 'activations', 'a'), ids, { transposeB: true })).toThrow(/u32 values; weights must be f32 or f16/);
    expect(() => matmul(e, half.view([1, 4]), e.tensor([3, 4], 'weights', 'w'), { transposeB: true })).toThrow(/holds f16 values; it must be float32/);
  });
});

describe('fp16 weights in gemv, mixed with float32 in one dispatch', () => {
  const cases: { name: string; rows: number; K: number; Ns: number[]; half: boolean[]; norm?: boolean; swiglu?: boolean }[] = [
    { name: 'q|k|v|g, halves and float32 alternating, vec4 rows, norm', rows: 2, K: 40, Ns: [40, 20, 20, 4], half: [true, false, true, false], norm: true },
    { name: 'scalar rows (K odd), all halves', rows: 3, K: 7, Ns: [13, 6], half: [true, true] },
    { name: 'swiglu input (MLP down), halves', rows: 1, K: 52, Ns: [24], half: [true], swiglu: true },
    { name: 'long K, large N', rows: 1, K: 768, Ns: [1030], half: [true] },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const e = await testEngine();
      const width = c.swiglu ? 2 * c.K : c.K;
      const a = normalArray(c.rows * width, c.K, 1.5);
      const ws = c.Ns.map((n, i) => normalArray(n * c.K, n + 7 * i, 0.5));
      const g = normalArray(c.K, 3);
      const N = c.Ns.reduce((x, y) => x + y, 0);
      const out = gemv(e, {
        a: e.upload(a, [c.rows, 1, width], 'activations', 'a'),
        weights: ws.map((w, i) => (c.half[i] ? e.uploadHalf : e.upload).call(e, w, [c.Ns[i], c.K], 'weights', `w${i}`)),
        norm: c.norm ? { weight: e.upload(g, [c.K], 'weights', 'g'), eps: 1e-5 } : undefined,
        swiglu: c.swiglu,
      });
      expect(out.shape).toEqual([c.rows, 1, N]);
      const ref = (round: boolean) =>
        gemvRef({
          a,
          rows: c.rows,
          width,
          K: c.K,
          weights: ws.map((w, i) => ({ data: round && c.half[i] ? roundArrayToHalf(w) : w, rows: c.Ns[i] })),
          norm: c.norm ? { weight: g, eps: 1e-5 } : undefined,
          swiglu: c.swiglu,
        });
      const got = await e.read(out);
      expect(relativeError(got, ref(true))).toBeLessThan(TOL);
      expect(relativeError(got, ref(false))).toBeGreaterThan(10 * TOL);
    });
  }
});

describe('fp16 weights in mamba_in_proj_step and embedding', () => {
  for (const [B, d, Di, W] of [
    [1, 32, 64, 4],
    [3, 18, 27, 3],
  ]) {
    it(`mamba_in_proj_step B=${B} d=${d} Di=${Di} W=${W}, in_proj as halves`, async () => {
      const e = await testEngine();
      const x = normalArray(B * d, d + B, 2);
      const inProj = normalArray(2 * Di * d, Di, 0.3);
      const g = normalArray(d, 5);
      const convWeight = normalArray(Di * W, 6, 0.5);
      const convBias = normalArray(Di, 7, 0.5);
      const convState = normalArray(B * (W - 1) * Di, 8);
      const out = e.tensor([B, 1, 2 * Di], 'activations', 'uz');
      mambaInProjStep(e, {
        x: e.upload(x, [B, 1, d], 'activations', 'x'),
        norm: { weight: e.upload(g, [d], 'weights', 'g'), eps: 1e-5 },
        inProj: e.uploadHalf(inProj, [2 * Di, d], 'weights', 'in_proj'),
        convWeight: e.upload(convWeight, [Di, W], 'weights', 'conv.w'),
        convBias: e.upload(convBias, [Di], 'weights', 'conv.b'),
        convState: e.upload(convState, [B, W - 1, Di], 'cache', 'conv'),
        out,
      });
      const ref = (w: Float32Array) => mambaInProjStepRef({ x, rows: B, dModel: d, dInner: Di, inProj: w, norm: { weight: g, eps: 1e-5 }, convWeight, convBias, width: W, convState }).out;
      const got = await e.read(out);
      expect(relativeError(got, ref(roundArrayToHalf(inProj)))).toBeLessThan(TOL);
      expect(relativeError(got, ref(inProj))).toBeGreaterThan(10 * TOL);
    });
  }

  it('embedding gathers rows of a table of halves (odd D: rows start mid-word)', async () => {
    const e = await testEngine();
    const [vocab, D] = [101, 19];
    const table = normalArray(vocab * D, 3);
    const ids = [0, 100, 5, 5, 42, 7, 99];
    const got = await e.read(embedding(e, e.uploadU32(ids, [ids.length], 'activations', 'ids'), e.uploadHalf(table, [vocab, D], 'weights', 'table')));
    expect(Array.from(got)).toEqual(Array.from(embeddingRef(ids, roundArrayToHalf(table), D)).map(Math.fround));
  });
});
