// The vec4 tiled matmul (matmul's 'tiled-vec4' variant) against the float64 twin on awkward sizes (partial
// tiles, K not a multiple of the K-tile, batch, a column range of a), for both tile heights and widths and
// both K-tile depths; 'auto' takes it where its alignment holds on outputs of VEC4_MIN_WORKGROUPS tiles or more.
import { describe, expect, it } from 'vitest';
import { testEngine } from '../testing/engine';
import { normalArray, relativeError } from '../testing/random';
import { matmulRef } from '../reference/basic';
import { matmul, vec4TileBytes, VEC4_DEFAULT, VEC4_MIN_WORKGROUPS } from './matmul';
import { GpuLimitError, KernelInputError } from '../engine/errors';

describe('matmul_tiled_vec4 against the float64 twin', () => {
  const cases: [number, number, number, number][] = [
    // batch, M, K, N
    [1, 1, 4, 1],
    [1, 67, 132, 65],
    [2, 130, 36, 129],
    [1, 128, 256, 64],
    [3, 17, 100, 200],
  ];
  const shapes: [4 | 8, 4 | 8][] = [
    [4, 4],
    [8, 4],
    [4, 8],
    [8, 8],
  ];
  // Rows × columns per invocation and K-tile depth (undefined: the default for the device).
  const configs: [4 | 8, 4 | 8, 16 | 32 | undefined][] = [...shapes.map(([tm, tn]): [4 | 8, 4 | 8, undefined] => [tm, tn, undefined]), [4, 4, 32], [8, 4, 32]];
  for (const [tm, tn, kTile] of configs) {
    for (const [batch, M, K, N] of cases) {
      it(`${tm}×${tn} per invocation${kTile ? `, K-tiles of ${kTile}` : ''}, batch=${batch} M=${M} K=${K} N=${N}`, async () => {
        const e = await testEngine();
        const a = normalArray(batch * M * K, M + K);
        const w = normalArray(N * K, N + 3 * K);
        const aT = e.upload(a, [batch, M, K], 'activations', 'a');
        const wT = e.upload(w, [N, K], 'weights', 'w');
        const out = matmul(e, aT, wT, { transposeB: true, variant: 'tiled-vec4', rowsPerInvocation: tm, colsPerInvocation: tn, kTile });
        expect(out.shape).toEqual([batch, M, N]);
        expect(relativeError(await e.read(out), matmulRef(a, w, batch, M, K, N, true, false))).toBeLessThan(1e-5);
        [aT, wT, out].forEach((t) => t.release());
      });
    }
  }
  it('without prefetching K-tiles, every tile shape, counting its resident workgroups', async () => {
    const e = await testEngine();
    const [batch, M, K, N] = [2, 70, 100, 130];
    const a = normalArray(batch * M * K, 11);
    const w = normalArray(N * K, 12);
    const aT = e.upload(a, [batch, M, K], 'activations', 'a');
    const wT = e.upload(w, [N, K], 'weights', 'w');
    const ref = matmulRef(a, w, batch, M, K, N, true, false);
    for (const [rowsPerInvocation, colsPerInvocation] of shapes) {
      const residency = e.upload(new Float32Array(2), [2], 'scratch', 'residency');
      const out = matmul(e, aT, wT, { transposeB: true, variant: 'tiled-vec4', rowsPerInvocation, colsPerInvocation, prefetch: false, residency });
      expect(relativeError(await e.read(out), ref)).toBeLessThan(1e-5);
      const [now, most] = new Uint32Array((await e.read(residency)).buffer);
      const workgroups = batch * Math.ceil(N / (16 * colsPerInvocation)) * Math.ceil(M / (16 * rowsPerInvocation));
      expect(now).toBe(0);
      expect(most).toBeGreaterThanOrEqual(1);
      expect(most).toBeLessThanOrEqual(workgroups);
      [out, residency].forEach((t) => t.release());
    }
    [aT, wT].forEach((t) => t.release());
  });

  it('accumulates into out, 4×4 and 8×8 per invocation', async () => {
    const e = await testEngine();
    const [M, K, N] = [5, 8, 70];
    const a = normalArray(M * K, 1);
    const w = normalArray(N * K, 2);
    const c0 = normalArray(M * N, 3);
    const aT = e.upload(a, [M, K], 'activations', 'a');
    const wT = e.upload(w, [N, K], 'weights', 'w');
    const ref = matmulRef(a, w, 1, M, K, N, true, false).map((v, i) => v + c0[i]);
    for (const size of [4, 8] as const) {
      const out = e.upload(c0, [M, N], 'activations', 'c');
      matmul(e, aT, wT, { transposeB: true, variant: 'tiled-vec4', out, accumulate: true, rowsPerInvocation: size, colsPerInvocation: size });
      expect(relativeError(await e.read(out), ref)).toBeLessThan(1e-5);
      out.release();
    }
    [aT, wT].forEach((t) => t.release());
  });
  it("refuses tiles larger than the device's workgroup memory, naming the limit; the default K-tiles fit", async () => {
    const e = await testEngine();
    const storage = e.report.limits.maxComputeWorkgroupStorageSize;
    const [M, K, N] = [40, 72, 150];
    const a = normalArray(M * K, 21);
    const w = normalArray(N * K, 22);
    const aT = e.upload(a, [M, K], 'activations', 'a');
    const wT = e.upload(w, [N, K], 'weights', 'w');
    const ref = matmulRef(a, w, 1, M, K, N, true, false);
    const big = () => matmul(e, aT, wT, { transposeB: true, variant: 'tiled-vec4', rowsPerInvocation: 8, colsPerInvocation: 8, kTile: 32 });
    if (vec4TileBytes(8, 2, 32) > storage) {
      expect(big).toThrow(GpuLimitError);
      expect(big).toThrow(new RegExp(`${vec4TileBytes(8, 2, 32)} bytes of workgroup memory; this device has ${storage}`));
    } else {
      const out = big();
      expect(relativeError(await e.read(out), ref)).toBeLessThan(1e-5);
      out.release();
    }
    // Without a K-tile depth named, the 8×8 tiles take the default (16), which fits.
    const out = matmul(e, aT, wT, { transposeB: true, variant: 'tiled-vec4', rowsPerInvocation: 8, colsPerInvocation: 8 });
    expect(relativeError(await e.read(out), ref)).toBeLessThan(1e-5);
    [aT, wT, out].forEach((t) => t.release());
  });

  it('refuses K not a multiple of 4, naming the shapes', async () => {
    const e = await testEngine();
    const aT = e.upload(new Float32Array(6), [2, 3], 'activations', 'a');
    const wT = e.upload(new Float32Array(6), [2, 3], 'weights', 'w');
    const vec4 = () => matmul(e, aT, wT, { transposeB: true, variant: 'tiled-vec4' });
    expect(vec4).toThrow(KernelInputError);
    expect(vec4).toThrow(/K \(3\)/);
    // 'auto' falls back to the tiled kernel and gets it right.
    const auto = matmul(e, aT, wT, { transposeB: true });
    expect(Array.from(await e.read(auto))).toEqual([0, 0, 0, 0]);
    [aT, wT, auto].forEach((t) => t.release());
  });

  it('a column range of a (offset and row stride multiples of 4), every tile shape', async () => {
    const e = await testEngine();
    const [batch, M, lda, offset, K, N] = [2, 37, 84, 8, 48, 70];
    const a = normalArray(batch * M * lda, 7);
    const w = normalArray(N * K, 8);
    const aT = e.upload(a, [batch, M, lda], 'activations', 'a');
    const wT = e.upload(w, [N, K], 'weights', 'w');
    const cols = new Float32Array(batch * M * K);
    for (let r = 0; r < batch * M; r++) cols.set(a.subarray(r * lda + offset, r * lda + offset + K), r * K);
    const ref = matmulRef(cols, w, batch, M, K, N, true, false);
    for (const [rowsPerInvocation, colsPerInvocation] of shapes) {
      const out = matmul(e, aT, wT, { transposeB: true, variant: 'tiled-vec4', rowsPerInvocation, colsPerInvocation, aColumns: { offset, count: K } });
      expect(out.shape).toEqual([batch, M, N]);
      expect(relativeError(await e.read(out), ref)).toBeLessThan(1e-5);
      out.release();
    }
    expect(() => matmul(e, aT, wT, { transposeB: true, variant: 'tiled-vec4', aColumns: { offset: 2, count: K } })).toThrow(/column offset \(2\)/);
    [aT, wT].forEach((t) => t.release());
  });

  it("'auto' (the vec4 kernel where it fits) gets the tiled kernel's result on an x_proj-like shape", async () => {
    const e = await testEngine();
    // VEC4_MIN_WORKGROUPS tiles of the default shape (two columns of tiles) and a partial one.
    const [M, K, N] = [16 * VEC4_DEFAULT.rowsPerInvocation * (VEC4_MIN_WORKGROUPS / 2) + 3, 516, 80];
    const a = normalArray(M * K, 9);
    const w = normalArray(N * K, 10);
    const aT = e.upload(a, [M, K], 'activations', 'a');
    const wT = e.upload(w, [N, K], 'weights', 'w');
    const auto = matmul(e, aT, wT, { transposeB: true });
    const tiled = matmul(e, aT, wT, { transposeB: true, variant: 'tiled' });
    const ref = matmulRef(a, w, 1, M, K, N, true, false);
    expect(relativeError(await e.read(auto), ref)).toBeLessThan(1e-5);
    expect(relativeError(await e.read(tiled), ref)).toBeLessThan(1e-5);
    [aT, wT, auto, tiled].forEach((t) => t.release());
  });
});
