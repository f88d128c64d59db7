// The vec4 tiled matmul against the float64 twin on awkward sizes (partial tiles, K not a multiple of the
// K-tile, batch), for both tile heights.
import { describe, expect, it } from 'vitest';
import { testEngine } from '../testing/engine';
import { normalArray, relativeError } from '../testing/random';
import { matmulRef } from '../reference/basic';
import { matmulTiledVec4 } from './matmul-tiled-vec4';
import { KernelInputError } from '../engine/errors';

describe('matmul_tiled_vec4 against the float64 twin', () => {
  const cases: [number, number, number, number][] = [
    // batch, M, K, N
    [1, 1, 4, 1],
    [1, 67, 132, 65],
    [2, 130, 36, 129],
    [1, 128, 256, 64],
    [3, 17, 100, 200],
  ];
  for (const tm of [4, 8] as const) {
    for (const [batch, M, K, N] of cases) {
      it(`TM=${tm} batch=${batch} M=${M} K=${K} N=${N}`, async () => {
        const e = await testEngine();
        const a = normalArray(batch * M * K, M + K);
        const w = normalArray(N * K, N + 3 * K);
        const aT = e.upload(a, [batch, M, K], 'activations', 'a');
        const wT = e.upload(w, [N, K], 'weights', 'w');
        const out = matmulTiledVec4(e, aT, wT, { tm });
        expect(out.shape).toEqual([batch, M, N]);
        expect(relativeError(await e.read(out), matmulRef(a, w, batch, M, K, N, true, false))).toBeLessThan(1e-5);
        [aT, wT, out].forEach((t) => t.release());
      });
    }
  }
  it('accumulates into out', async () => {
    const e = await testEngine();
    const [M, K, N] = [5, 8, 6];
    const a = normalArray(M * K, 1);
    const w = normalArray(N * K, 2);
    const c0 = normalArray(M * N, 3);
    const aT = e.upload(a, [M, K], 'activations', 'a');
    const wT = e.upload(w, [N, K], 'weights', 'w');
    const out = e.upload(c0, [M, N], 'activations', 'c');
    matmulTiledVec4(e, aT, wT, { out, accumulate: true });
    const ref = matmulRef(a, w, 1, M, K, N, true, false).map((v, i) => v + c0[i]);
    expect(relativeError(await e.read(out), ref)).toBeLessThan(1e-5);
    [aT, wT, out].forEach((t) => t.release());
  });
  it('refuses K not a multiple of 4, naming the shapes', async () => {
    const e = await testEngine();
    const aT = e.upload(new Float32Array(6), [2, 3], 'activations', 'a');
    const wT = e.upload(new Float32Array(6), [2, 3], 'weights', 'w');
    expect(() => matmulTiledVec4(e, aT, wT)).toThrow(KernelInputError);
    expect(() => matmulTiledVec4(e, aT, wT)).toThrow(/\[2, 3\]|2×3|\(2, 3\)/);
    [aT, wT].forEach((t) => t.release());
  });
});
