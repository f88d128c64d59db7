// The rate probes compute what their comments say (so a benchmark's rate is for real work).
import { describe, expect, it } from 'vitest';
import { testEngine } from '../testing/engine';
import { PROBE_CHAINS, matmulSmemProbe, rateProbe } from './rate-probes';

/** Float64 value of one invocation's output. */
function expected(kind: 'fma' | 'exp2', iterations: number, a: number, b: number): number {
  let s = 0;
  for (let c = 0; c < PROBE_CHAINS; c++) {
    let x = kind === 'fma' ? c : c * 0.001;
    for (let i = 0; i < iterations; i++) x = kind === 'fma' ? x * a + b : 2 ** (x * a) * b;
    s += x;
  }
  return s;
}

describe('rate probes', () => {
  const cases: ['fma' | 'exp2', number, number, number][] = [
    ['fma', 37, 1, 1],
    ['fma', 25, 0.5, 1],
    ['exp2', 11, 0, 1],
    ['exp2', 9, -1, 0.5],
  ];
  for (const [kind, iterations, a, b] of cases) {
    it(`${kind}: ${iterations} steps with a=${a} b=${b} over 1000 invocations (not a multiple of the workgroup)`, async () => {
      const e = await testEngine();
      const out = e.tensor([1000], 'scratch', 'probe.out');
      const { ops } = rateProbe(e, kind, out, iterations, a, b);
      expect(ops).toBe(1000 * iterations * PROBE_CHAINS * (kind === 'fma' ? 2 : 1));
      const got = await e.read(out);
      const want = expected(kind, iterations, a, b);
      for (const v of got) expect(Math.abs(v - want)).toBeLessThan(1e-5 * Math.abs(want));
      out.release();
    });
  }
});

describe('matmul workgroup-memory probe', () => {
  /** Float64 output of invocation (lx, ly): the sum over its 4×4 tile of the K-tiles' inner products. */
  function expectedSmem(lx: number, ly: number, iterations: number, stage: boolean, a: number, b: number): number {
    let s = 0;
    for (let it = 0; it < iterations; it++) {
      const off = stage ? it : 0;
      for (let i = 0; i < 4; i++) {
        for (let j = 0; j < 4; j++) {
          for (let k = 0; k < 16; k++) s += (off + 16 * (ly + 16 * i) + k) * a * ((off + 64 * k + lx + 16 * j) * b);
        }
      }
    }
    return s;
  }
  for (const stage of [false, true]) {
    it(`${stage ? 'staged tiles' : 'fenced reads'}: every invocation sums its 4×4 tile's products over 3 K-tiles`, async () => {
      const e = await testEngine();
      const out = e.tensor([512], 'scratch', 'probe.out');
      const { ops } = matmulSmemProbe(e, out, 3, stage, 1e-3, 2e-3);
      expect(ops).toBe(2 * 256 * 16 * 16 * 2 * 3);
      const got = await e.read(out);
      for (const g of [0, 17, 255, 256, 511]) {
        const t = g % 256;
        const want = expectedSmem(t % 16, Math.floor(t / 16), 3, stage, 1e-3, 2e-3);
        expect(Math.abs(got[g] - want)).toBeLessThan(1e-4 * Math.abs(want));
      }
      out.release();
    });
  }
});
