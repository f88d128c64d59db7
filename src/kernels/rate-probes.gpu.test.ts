// The rate probes compute what their comments say (so a benchmark's rate is for real work).
import { describe, expect, it } from 'vitest';
import { testEngine } from '../testing/engine';
import { PROBE_CHAINS, matmulSmemProbe, rateProbe, workgroupMemoryProbe } from './rate-probes';

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

describe('workgroup-memory residency probe', () => {
  /** Float64 output of an invocation that starts from pad element j of a pad of p vec4. */
  function expectedPad(j: number, p: number, iterations: number, a: number, b: number): number {
    let s = 0;
    for (let c = 0; c < 4; c++) {
      let x = (4 * j + c) * a;
      for (let i = 0; i < iterations; i++) x = x * a + b;
      s += x + (4 * (p - 1 - j) + c) * a;
    }
    return s;
  }
  // The same bytes at two workgroup sizes (each its own pipeline), a size that is not whole vec4, none.
  for (const [bytes, wg] of [
    [4096, 64],
    [4096, 32],
    [100, 32],
    [0, 16],
  ] as const) {
    it(`${bytes} bytes per workgroup of ${wg}: every invocation's chain from its pad element, and the workgroups counted`, async () => {
      const e = await testEngine();
      const groups = 5;
      const out = e.tensor([groups * wg], 'scratch', 'probe.out');
      const residency = e.upload(new Float32Array(2), [2], 'scratch', 'residency');
      workgroupMemoryProbe(e, out, { bytes, workgroupSize: wg, iterations: 7, a: 0.5, b: 0.25, residency });
      const got = await e.read(out);
      const counts = new Uint32Array((await e.read(residency)).buffer);
      const p = Math.max(1, Math.ceil(bytes / 16));
      for (let i = 0; i < got.length; i++) {
        const want = expectedPad((i % wg) % p, p, 7, 0.5, 0.25);
        expect(Math.abs(got[i] - want)).toBeLessThan(1e-5 * Math.max(1, Math.abs(want)));
      }
      expect(counts[0]).toBe(0);
      expect(counts[1]).toBeGreaterThanOrEqual(1);
      expect(counts[1]).toBeLessThanOrEqual(groups);
      out.release();
      residency.release();
    });
  }

  it('refuses more workgroup memory than the device has, naming both sizes', async () => {
    const e = await testEngine();
    const out = e.tensor([64], 'scratch', 'probe.out');
    const limit = e.report.limits.maxComputeWorkgroupStorageSize;
    expect(() => workgroupMemoryProbe(e, out, { bytes: limit + 16, workgroupSize: 64, iterations: 1, a: 1, b: 1 })).toThrow(new RegExp(`${limit + 16} bytes exceed the device's ${limit}`));
    out.release();
  });
});
