// The rate probes compute what their comments say (so a benchmark's rate is for real work).
import { describe, expect, it } from 'vitest';
import { testEngine } from '../testing/engine';
import { PROBE_CHAINS, rateProbe } from './rate-probes';

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
