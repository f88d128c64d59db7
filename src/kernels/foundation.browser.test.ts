// WGSL kernels in headless Chromium (Chrome's own Dawn, SwiftShader here): the same modules the page runs.
import { describe, expect, it } from 'vitest';
import { testEngine } from '../testing/engine';
import { normalArray, relativeError, uniformArray } from '../testing/random';
import { matmulRef, rmsnormRef, softplus } from '../reference/basic';
import { matmul } from './matmul';
import { rmsnorm } from './rmsnorm';
import { unary } from './elementwise';
import { attention, headsFirst } from './attention';
import { attentionRef } from '../reference/attention';
import { roundArrayToHalf } from '../engine/half';

describe('kernels in Chromium', () => {
  it('gets a WebGPU adapter from navigator.gpu', async () => {
    const e = await testEngine();
    expect(e.report.limits.maxComputeInvocationsPerWorkgroup).toBeGreaterThanOrEqual(256);
  });

  it('tiled matmul with transposed weights matches the float64 twin', async () => {
    const e = await testEngine();
    const [M, K, N] = [37, 70, 129];
    const a = normalArray(M * K, 1);
    const w = normalArray(N * K, 2);
    const out = matmul(e, e.upload(a, [M, K], 'activations', 'a'), e.upload(w, [N, K], 'weights', 'w'), { transposeB: true });
    expect(relativeError(await e.read(out), matmulRef(a, w, 1, M, K, N, true))).toBeLessThan(1e-5);
  });

  it('fp16 weights (halves read by unpack2x16float): the vec4 matmul and gemv match the twin of the rounded weights', async () => {
    const e = await testEngine();
    const [M, K, N] = [130, 68, 75];
    const a = normalArray(M * K, 1);
    const w = normalArray(N * K, 2, 0.5);
    const wT = e.uploadHalf(w, [N, K], 'weights', 'w');
    const rounded = roundArrayToHalf(w);
    const out = matmul(e, e.upload(a, [M, K], 'activations', 'a'), wT, { transposeB: true, variant: 'tiled-vec4' });
    expect(relativeError(await e.read(out), matmulRef(a, rounded, 1, M, K, N, true))).toBeLessThan(1e-5);
    const row = matmul(e, e.upload(a.subarray(0, K), [1, K], 'activations', 'a1'), wT, { transposeB: true, variant: 'gemv' });
    expect(relativeError(await e.read(row), matmulRef(a.subarray(0, K), rounded, 1, 1, K, N, true))).toBeLessThan(1e-5);
  });

  it('rmsnorm and softplus match their twins', async () => {
    const e = await testEngine();
    const x = normalArray(5 * 300, 3);
    const w = uniformArray(300, 4, 0.5, 1.5);
    const got = await e.read(rmsnorm(e, e.upload(x, [5, 300], 'activations', 'x'), e.upload(w, [300], 'weights', 'w'), 1e-6));
    expect(relativeError(got, rmsnormRef(x, w, 300, 1e-6))).toBeLessThan(1e-5);
    const s = uniformArray(999, 5, -40, 40);
    expect(relativeError(await e.read(unary(e, 'softplus', e.upload(s, [999], 'activations', 's'))), Array.from(s, softplus))).toBeLessThan(1e-5);
  });

  it('flash attention, Q and V staged and read straight from their buffers (the form long sequences take), matches the twin', async () => {
    const e = await testEngine();
    const [B, H, Hkv, L, S, E] = [1, 2, 1, 70, 70, 32];
    const q = normalArray(B * H * L * E, 6);
    const k = normalArray(B * Hkv * S * E, 7);
    const v = normalArray(B * Hkv * S * E, 8);
    const ref = attentionRef(q, k, v, { B, H, Hkv, L, S, E }, { causal: true });
    const [qT, kT, vT] = [e.upload(q, [B, H, L, E], 'activations', 'q'), e.upload(k, [B, Hkv, S, E], 'activations', 'k'), e.upload(v, [B, Hkv, S, E], 'activations', 'v')];
    for (const flashOperands of ['staged', 'direct'] as const) {
      const out = attention(e, headsFirst(qT), headsFirst(kT), headsFirst(vT), { causal: true, flashOperands });
      expect(relativeError(await e.read(out), ref), flashOperands).toBeLessThan(2e-5);
      out.release();
    }
  });
});
