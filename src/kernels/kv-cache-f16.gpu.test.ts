// An fp16 KV cache: the append kernels (kv_cache_append, rope_kv_append) write halves of the float32 values
// (each element one of the two fp16 neighbours of its twin value; WGSL leaves the rounding direction to the
// GPU), and every attention kernel reads fp16 keys and values: against the float64 twin of the halves it
// holds, on awkward sizes, and far enough from the float32 result that a kernel reading the wrong storage
// would fail.
import { describe, expect, it } from 'vitest';
import { testEngine } from '../testing/engine';
import { normalArray, relativeError } from '../testing/random';
import { attentionRef, tokensToHeads } from '../reference/attention';
import { ropeKvAppendRef } from '../reference/decode';
import { fromHalfBits, roundArrayToHalf, toHalfBits } from '../engine/half';
import { KernelInputError } from '../engine/errors';
import { attention, headsFirst, tokensFirst, type AttentionShape, type AttentionVariant, type FlashOperands } from './attention';
import { KvCache } from './kv-cache';

const TOL = 2e-5;

/** The fp16 values next to x: the nearest half at or below and at or above it (x itself when it is a half). */
function halfNeighbours(x: number): [number, number] {
  const r = fromHalfBits(toHalfBits(x));
  if (r === x) return [r, r];
  // One step of the half's bit pattern towards x (halves are ordered by bit pattern within a sign).
  const bits = toHalfBits(x);
  const step = (r < x) === (r >= 0 && !Object.is(r, -0)) ? 1 : -1;
  const other = fromHalfBits(bits + step);
  return r < other ? [r, other] : [other, r];
}

/** Indices whose stored value is not a half next to the float32 value it was written from. */
function notNeighbours(got: ArrayLike<number>, want: ArrayLike<number>, indices: Iterable<number>): number[] {
  const bad: number[] = [];
  for (const i of indices) {
    const w = Math.fround(want[i]);
    const [lo, hi] = halfNeighbours(w);
    if (got[i] !== lo && got[i] !== hi) bad.push(i);
  }
  return bad;
}

describe('fp16 KV cache: the append kernels write halves', () => {
  it('halfNeighbours brackets values and keeps halves', () => {
    expect(halfNeighbours(1)).toEqual([1, 1]);
    expect(halfNeighbours(1 + 2 ** -12)).toEqual([1, 1 + 2 ** -10]);
    expect(halfNeighbours(-(1 + 2 ** -12))).toEqual([-(1 + 2 ** -10), -1]);
    expect(halfNeighbours(3.3)).toEqual([3.298828125, 3.30078125]);
  });

  it('kv_cache_append: prefill rows and single rows land as halves at their positions', async () => {
    const e = await testEngine();
    const [B, Hkv, E, cap] = [2, 3, 6, 11];
    const cache = KvCache.create(e, B, Hkv, cap, E, 'kv16', 'f16');
    expect(cache.format).toBe('f16');
    expect(cache.k.bytes).toBe((B * Hkv * cap * E) / 2 * 4);
    const T = 7;
    const kAll = normalArray(B * T * Hkv * E, 31, 3);
    const vAll = normalArray(B * T * Hkv * E, 32, 3);
    const slice = (a: Float32Array, t0: number, t1: number) => {
      const r = new Float32Array(B * (t1 - t0) * Hkv * E);
      for (let b = 0; b < B; b++) r.set(a.subarray((b * T + t0) * Hkv * E, (b * T + t1) * Hkv * E), b * (t1 - t0) * Hkv * E);
      return r;
    };
    for (const [t0, t1] of [[0, 5], [5, 6], [6, 7]]) {
      const kT = e.upload(slice(kAll, t0, t1), [B, t1 - t0, Hkv * E], 'activations', 'k');
      const vT = e.upload(slice(vAll, t0, t1), [B, t1 - t0, Hkv * E], 'activations', 'v');
      cache.append(tokensFirst(kT, Hkv), tokensFirst(vT, Hkv));
    }
    expect(cache.length).toBe(T);
    const [k, v] = [await e.read(cache.k), await e.read(cache.v)];
    // The twin layout: (B, Hkv, cap, E) with positions 0 .. T - 1 written.
    const place = (a: Float32Array) => {
      const out = new Float64Array(B * Hkv * cap * E);
      const heads = tokensToHeads(a, B, T, Hkv, E);
      for (let b = 0; b < B; b++) for (let h = 0; h < Hkv; h++) out.set(heads.subarray(((b * Hkv + h) * T) * E, ((b * Hkv + h) * T + T) * E), ((b * Hkv + h) * cap) * E);
      return out;
    };
    const written: number[] = [];
    for (let b = 0; b < B; b++) for (let h = 0; h < Hkv; h++) for (let i = 0; i < T * E; i++) written.push(((b * Hkv + h) * cap) * E + i);
    const [wantK, wantV] = [place(kAll), place(vAll)];
    expect(notNeighbours(k, wantK, written)).toEqual([]);
    expect(notNeighbours(v, wantV, written)).toEqual([]);
    // Rounded, not float32: almost no normal float32 value is a half.
    expect(written.filter((i) => k[i] !== Math.fround(wantK[i])).length).toBeGreaterThan(0.9 * written.length);
    cache.release();
  });

  it('rope_kv_append: rotated keys and values as halves, q and the gate float32', async () => {
    const e = await testEngine();
    const [B, H, Hkv, E, G, cap, base] = [2, 6, 2, 10, 6, 9, 10000];
    const cache = KvCache.create(e, B, Hkv, cap, E, 'kv16', 'f16');
    const width = (H + 2 * Hkv) * E + G;
    const q = e.tensor([B, 1, H * E], 'activations', 'q');
    const gate = e.tensor([B, 1, G], 'activations', 'gate');
    for (const p of [0, 4, cap - 1]) {
      cache.length = p;
      const src = normalArray(B * width, p + 41, 2);
      cache.appendRoped({ src: e.upload(src, [B, 1, width], 'activations', 'src'), heads: H, base, q, gate, gateWidth: G });
      const ref = ropeKvAppendRef(src, B, H, Hkv, E, G, base, p);
      expect(relativeError(await e.read(q), ref.q)).toBeLessThan(1e-6);
      expect(relativeError(await e.read(gate), ref.gate)).toBeLessThan(1e-7);
      const [k, v] = [await e.read(cache.k), await e.read(cache.v)];
      const at: number[] = [];
      const wantK = new Float64Array(k.length);
      const wantV = new Float64Array(v.length);
      for (let b = 0; b < B; b++) {
        for (let h = 0; h < Hkv; h++) {
          for (let i = 0; i < E; i++) {
            const j = ((b * Hkv + h) * cap + p) * E + i;
            wantK[j] = ref.k[(b * Hkv + h) * E + i];
            wantV[j] = ref.v[(b * Hkv + h) * E + i];
            at.push(j);
          }
        }
      }
      // RoPE in float32 is within ~1e-6 of the twin, so a key may round to the other neighbour of the twin's
      // value only where it lies that close to a midpoint; allow one half-ulp of slack there.
      const badK = notNeighbours(k, wantK, at).filter((j) => Math.abs(k[j] - wantK[j]) > Math.abs(wantK[j]) * 2 ** -10 + 1e-6);
      expect(badK).toEqual([]);
      expect(notNeighbours(v, wantV, at)).toEqual([]);
    }
    cache.release();
  });

  it('refuses an odd head dim and fp16 sources', async () => {
    const e = await testEngine();
    expect(() => KvCache.create(e, 1, 1, 4, 5, 'odd', 'f16')).toThrow(/head dim 5 must be even/);
    const cache = KvCache.create(e, 1, 1, 4, 4, 'kv16', 'f16');
    const half = e.uploadHalf(new Float32Array(4), [1, 1, 4], 'activations', 'k16');
    expect(() => cache.append(tokensFirst(half, 1), tokensFirst(half, 1))).toThrow(KernelInputError);
    cache.release();
  });
});

interface Case extends AttentionShape {
  causal: boolean;
  gate?: 'elementwise' | 'headwise';
  variant: AttentionVariant;
  operands?: FlashOperands;
}

describe('attention reads fp16 keys and values in every kernel', () => {
  const cases: Case[] = [
    { B: 1, H: 4, Hkv: 2, L: 1, S: 333, E: 64, causal: true, variant: 'decode' },
    { B: 2, H: 2, Hkv: 2, L: 1, S: 70, E: 128, causal: true, gate: 'headwise', variant: 'decode' },
    { B: 2, H: 4, Hkv: 2, L: 70, S: 90, E: 32, causal: true, gate: 'elementwise', variant: 'flash', operands: 'staged' },
    { B: 1, H: 2, Hkv: 1, L: 65, S: 130, E: 64, causal: true, variant: 'flash', operands: 'direct' },
    { B: 1, H: 3, Hkv: 3, L: 33, S: 50, E: 48, causal: false, variant: 'flash', operands: 'direct' },
    { B: 1, H: 2, Hkv: 1, L: 37, S: 45, E: 96, causal: true, variant: 'flash' },
    { B: 1, H: 2, Hkv: 1, L: 9, S: 21, E: 10, causal: true, gate: 'headwise', variant: 'naive' },
  ];
  cases.forEach((c, n) => {
    const { B, H, Hkv, L, S, E } = c;
    it(`${c.variant}${c.operands ? ` (${c.operands})` : ''} B=${B} H=${H} Hkv=${Hkv} L=${L} S=${S} E=${E}${c.gate ? ` gate=${c.gate}` : ''}`, async () => {
      const e = await testEngine();
      const seed = 500 + 10 * n;
      const q = normalArray(B * H * L * E, seed, 2);
      const k = normalArray(B * Hkv * S * E, seed + 1, 2);
      const v = normalArray(B * Hkv * S * E, seed + 2, 2);
      const gw = c.gate === 'elementwise' ? E : 1;
      const g = c.gate ? normalArray(B * H * L * gw, seed + 3, 2) : undefined;
      const qT = e.upload(q, [B, H, L, E], 'activations', 'q');
      const kT = e.uploadHalf(k, [B, Hkv, S, E], 'activations', 'k16');
      const vT = e.uploadHalf(v, [B, Hkv, S, E], 'activations', 'v16');
      const gT = g ? e.upload(g, [B, H, L, gw], 'activations', 'gate') : undefined;
      const out = attention(e, headsFirst(qT), headsFirst(kT), headsFirst(vT), { causal: c.causal, gate: gT && headsFirst(gT), variant: c.variant, flashOperands: c.operands });
      const got = await e.read(out);
      const shape = { B, H, Hkv, L, S, E };
      const opts = { causal: c.causal, gate: g };
      const halvesRef = attentionRef(q, roundArrayToHalf(k), roundArrayToHalf(v), shape, opts);
      const floatRef = attentionRef(q, k, v, shape, opts);
      expect(relativeError(got, halvesRef)).toBeLessThan(TOL);
      // The case tells the two apart: a kernel that read float32 (or garbage) would be off by more than this.
      expect(relativeError(floatRef, halvesRef)).toBeGreaterThan(5 * TOL);
      [qT, kT, vT, gT, out].forEach((t) => t?.release());
    });
  });

  it('refuses fp16 queries by name', async () => {
    const e = await testEngine();
    const q16 = e.uploadHalf(new Float32Array(8), [1, 1, 2, 4], 'activations', 'q16');
    const kv = e.upload(new Float32Array(8), [1, 1, 2, 4], 'activations', 'kv');
    expect(() => attention(e, headsFirst(q16), headsFirst(kv), headsFirst(kv))).toThrow(/q q16.*must be float32/);
  });
});
