// Decode kernels against their float64 twins (src/reference/decode.ts) on awkward sizes: RoPE + KV-cache
// append from a fused projection, and the argmax of greedy decoding.
import { describe, expect, it } from 'vitest';
import { testEngine } from '../testing/engine';
import { normalArray, relativeError } from '../testing/random';
import { argmaxRef, ropeKvAppendRef } from '../reference/decode';
import { KvCache } from './kv-cache';
import { argmax } from './argmax';
import { KernelInputError } from '../engine/errors';
import { selectiveStateUpdate } from './selective-state-update';
import { packScanChannels } from './selective-scan';
import { selectiveStateUpdateRef } from '../reference/mamba';
import { uniformArray } from '../testing/random';

describe('rope_kv_append against ropeKvAppendRef', () => {
  const cases: [string, number, number, number, number, number, number, number][] = [
    // name, B, H, Hkv, E, G, capacity, base
    ['plain heads', 2, 4, 4, 8, 0, 9, 10000],
    ['grouped 6/2, head dim 6, per-head gate', 3, 6, 2, 6, 6, 5, 10000],
    ['one kv head, elementwise gate, large base', 1, 4, 1, 16, 64, 40, 500000],
  ];
  for (const [name, B, H, Hkv, E, G, capacity, base] of cases) {
    it(name, async () => {
      const e = await testEngine();
      const cache = KvCache.create(e, B, Hkv, capacity, E, 'kv');
      const width = (H + 2 * Hkv) * E + G;
      const q = e.tensor([B, 1, H * E], 'activations', 'q');
      const gate = e.tensor([B, 1, Math.max(G, 1)], 'activations', 'gate');
      // Several tokens: each lands at its own position of the cache with its own rotation.
      const positions = [0, 1, capacity - 2];
      const expectK = new Float64Array(B * Hkv * capacity * E);
      const expectV = new Float64Array(B * Hkv * capacity * E);
      const written = new Set<number>();
      for (const p of positions) {
        cache.length = p;
        const src = normalArray(B * width, p + 11);
        const before = e.dispatchCount;
        cache.appendRoped({ src: e.upload(src, [B, 1, width], 'activations', 'src'), heads: H, base, q, gate, gateWidth: G });
        expect(e.dispatchCount - before).toBe(1);
        expect(cache.length).toBe(p + 1);
        const ref = ropeKvAppendRef(src, B, H, Hkv, E, G, base, p);
        expect(relativeError(await e.read(q), ref.q), `q at ${p}`).toBeLessThan(1e-6);
        if (G > 0) expect(relativeError(await e.read(gate), ref.gate), `gate at ${p}`).toBeLessThan(1e-7);
        for (let b = 0; b < B; b++) {
          for (let h = 0; h < Hkv; h++) {
            for (let i = 0; i < E; i++) {
              const at = ((b * Hkv + h) * capacity + p) * E + i;
              expectK[at] = ref.k[(b * Hkv + h) * E + i];
              expectV[at] = ref.v[(b * Hkv + h) * E + i];
              written.add(at);
            }
          }
        }
      }
      const [k, v] = [await e.read(cache.k), await e.read(cache.v)];
      const pick = (x: ArrayLike<number>) => [...written].map((i) => x[i]);
      expect(relativeError(pick(k), pick(expectK))).toBeLessThan(1e-6);
      expect(relativeError(pick(v), pick(expectV))).toBeLessThan(1e-7);
      cache.length = capacity;
      expect(() => cache.appendRoped({ src: e.tensor([B, 1, width], 'activations', 'src'), heads: H, base, q, gate, gateWidth: G })).toThrow(/capacity/);
      cache.release();
    });
  }

  it('refuses a source of the wrong width', async () => {
    const e = await testEngine();
    const cache = KvCache.create(e, 1, 2, 4, 4, 'kv');
    expect(() => cache.appendRoped({ src: e.tensor([1, 1, 15], 'activations', 'src'), heads: 2, base: 10000, q: e.tensor([1, 8], 'activations', 'q'), gate: e.tensor([1], 'activations', 'g'), gateWidth: 0 })).toThrow(KernelInputError);
    cache.release();
  });
});

describe('argmax against argmaxRef', () => {
  for (const [rows, width] of [
    [1, 1],
    [3, 50280],
    [2, 257],
    [5, 96],
  ]) {
    it(`rows=${rows} width=${width}, with history`, async () => {
      const e = await testEngine();
      const x = normalArray(rows * width, width + rows);
      const ids = e.uploadU32(new Uint32Array(rows), [rows], 'activations', 'ids');
      const history = e.uploadU32(new Uint32Array(rows * 3), [rows, 3], 'activations', 'history');
      argmax(e, e.upload(x, [rows, 1, width], 'activations', 'x'), { out: ids, history: { tensor: history, index: 1 } });
      const want = argmaxRef(x, rows, width);
      expect(Array.from(new Uint32Array((await e.read(ids)).buffer))).toEqual(want);
      const h = new Uint32Array((await e.read(history)).buffer);
      expect(Array.from({ length: rows }, (_, r) => [h[r * 3], h[r * 3 + 1], h[r * 3 + 2]])).toEqual(want.map((id) => [0, id, 0]));
    });
  }

  it('takes the first index on ties, skips NaN, and gives 0 for a row of NaN', async () => {
    const e = await testEngine();
    const width = 700;
    const x = new Float32Array(3 * width).fill(-1);
    x[5] = 2;
    x[600] = 2;
    x[width + 3] = NaN;
    x[width + 650] = 0.5;
    for (let i = 0; i < width; i++) x[2 * width + i] = NaN;
    const got = new Uint32Array((await e.read(argmax(e, e.upload(x, [3, width], 'activations', 'x')))).buffer);
    expect(Array.from(got)).toEqual([5, 650, 0]);
    expect(argmaxRef(x, 3, width)).toEqual([5, 650, 0]);
  });
});

describe('selective state update as Mamba decode runs it', () => {
  // dt rank above the lanes per channel (several terms per lane), x and z read from one [u | z] row.
  for (const [batch, dInner, dState, rank] of [
    [1, 96, 16, 48],
    [3, 37, 5, 11],
    [2, 20, 33, 2],
  ]) {
    it(`B=${batch} D=${dInner} N=${dState} dt rank ${rank}, x and z from [u | z]`, async () => {
      const e = await testEngine();
      const width = rank + 2 * dState;
      const xdbl = normalArray(batch * width, 1);
      const wdt = normalArray(dInner * rank, 2, 0.3);
      const A = uniformArray(dInner * dState, 3, -2, -0.05);
      const D = normalArray(dInner, 4);
      const bias = uniformArray(dInner, 5, -4, 0);
      const uz = normalArray(batch * 2 * dInner, 6);
      const state0 = normalArray(batch * dInner * dState, 7);
      const dt = new Float64Array(batch * dInner);
      for (let b = 0; b < batch; b++) for (let d = 0; d < dInner; d++) for (let r = 0; r < rank; r++) dt[b * dInner + d] += xdbl[b * width + r] * wdt[d * rank + r];
      // Columns [from, from + n) of each of the batch rows of `src` (rows of `stride`).
      const cols = (src: Float32Array, stride: number, from: number, n: number) => Float64Array.from({ length: batch * n }, (_, i) => src[Math.floor(i / n) * stride + from + (i % n)]);
      const state = e.upload(state0, [batch, dInner, dState], 'cache', 'state');
      const uzT = e.upload(uz, [batch, 1, 2 * dInner], 'activations', 'uz');
      const y = selectiveStateUpdate(e, {
        state,
        x: uzT,
        xLayout: { rowStride: 2 * dInner, offset: 0 },
        dt: e.upload(wdt, [dInner, rank], 'weights', 'dt_proj'),
        dtProjection: { rank },
        channels: e.upload(packScanChannels(A, dInner, dState, D, bias), [dInner, dState + 2], 'weights', 'channels'),
        bc: e.upload(xdbl, [batch, 1, width], 'activations', 'xdbl'),
        bcLayout: { rowStride: width, bOffset: rank, cOffset: rank + dState },
        z: uzT,
        zLayout: { rowStride: 2 * dInner, offset: dInner },
        dtSoftplus: true,
      });
      const ref = selectiveStateUpdateRef({
        batch, dInner, dState, state: state0, x: cols(uz, 2 * dInner, 0, dInner), dt, A,
        B: cols(xdbl, width, rank, dState), C: cols(xdbl, width, rank + dState, dState), D, z: cols(uz, 2 * dInner, dInner, dInner), dtBias: bias, dtSoftplus: true,
      });
      expect(relativeError(await e.read(y), ref.y)).toBeLessThan(1e-5);
      expect(relativeError(await e.read(state), ref.state)).toBeLessThan(1e-5);
    });
  }
});
