// WebGPU in Node: the Dawn flags every engine gets, GPU timestamps at full precision, and profiling a
// batch dispatch by dispatch.
import { afterEach, describe, expect, it } from 'vitest';
import { testEngine } from '../testing/engine';
import { binary, unary } from '../kernels/elementwise';
import { rmsnorm } from '../kernels/rmsnorm';
import { dawnFlags } from './node-gpu';

describe('Dawn flags', () => {
  const saved = process.env.WEBGPU_DAWN_FLAGS;
  afterEach(() => {
    if (saved === undefined) delete process.env.WEBGPU_DAWN_FLAGS;
    else process.env.WEBGPU_DAWN_FLAGS = saved;
  });

  it('always turn off timestamp quantization, keeping the flags and disabled features of WEBGPU_DAWN_FLAGS', () => {
    delete process.env.WEBGPU_DAWN_FLAGS;
    expect(dawnFlags()).toEqual(['disable-dawn-features=timestamp_quantization']);
    process.env.WEBGPU_DAWN_FLAGS = 'enable-dawn-features=disable_robustness  disable-dawn-features=lazy_clear_resource_on_first_use';
    expect(dawnFlags()).toEqual(['enable-dawn-features=disable_robustness', 'disable-dawn-features=timestamp_quantization,lazy_clear_resource_on_first_use']);
  });
});

describe('GPU timestamps', () => {
  it('are not rounded to multiples of 65.536 µs (Dawn rounds them unless told not to)', async () => {
    const e = await testEngine();
    if (!e.report.features.timestampQuery) return expect(e.report.features.timestampQuery).toBe(false);
    const x = e.upload(new Float32Array(1 << 16).fill(0.5), [1 << 16], 'activations', 'x');
    const ns: number[] = [];
    for (let i = 0; i < 6; i++) {
      const t = await e.timeBatch(() => unary(e, 'silu', x).release());
      expect(t.source).toBe('timestamp-query');
      ns.push(Math.round(t.ms * 1e6));
    }
    x.release();
    // Rounded timestamps make every duration a multiple of 65536 ns; exact ones almost never are.
    expect(ns.filter((v) => v % 65536 !== 0).length).toBeGreaterThan(3);
  });
});

describe('profileBatch', () => {
  it('gives each dispatch of a batch its GPU time and kernel name, in order, and the results are right', async () => {
    const e = await testEngine();
    const x = e.upload(new Float32Array(4096).fill(2), [64, 64], 'activations', 'x');
    const w = e.upload(new Float32Array(64).fill(1), [64], 'weights', 'w');
    let out: ReturnType<typeof binary> | null = null;
    const profile = await e.profileBatch(() => {
      const s = unary(e, 'silu', x);
      const n = rmsnorm(e, s, w, 1e-6);
      out = binary(e, 'add', n, x);
      s.release();
      n.release();
    });
    // rmsnorm of a constant row is 1; plus x = 3.
    expect(Array.from(await e.read(out!)).every((v) => Math.abs(v - 3) < 1e-5)).toBe(true);
    out!.release();
    if (!e.report.features.timestampQuery) return expect(profile).toBeNull();
    expect(profile!.map((p) => p.kernel.split('(')[0])).toEqual(['silu', 'rmsnorm', 'add']);
    for (const p of profile!) expect(p.ms).toBeGreaterThan(0);
    expect(await e.profileBatch(() => {})).toEqual([]);
    [x, w].forEach((t) => t.release());
  });
});
