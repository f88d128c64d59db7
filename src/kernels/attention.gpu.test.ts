// Attention kernels (flash and naive), RoPE and the KV cache against the float64 twins: grouped-query heads, causal and not,
// lengths that are not multiples of the tiles, head dims 32/64/128 (and odd ones), both gate kinds,
// tokens-first layouts, a KV-cache prefix, and one long sequence.
import { describe, expect, it } from 'vitest';
import { testEngine } from '../testing/engine';
import { normalArray, relativeError } from '../testing/random';
import { attentionRef, headsToTokens, tokensToHeads } from '../reference/attention';
import { attention, headsFirst, prefixView, setFlashTilePreference, tokensFirst, type AttentionOptions, type AttentionVariant, type FlashTileShape } from './attention';
import { KernelInputError } from '../engine/errors';
import type { Engine } from '../engine/engine';
import { ropeRef } from '../reference/attention';
import { ropeInPlace } from './rope';
import { KvCache } from './kv-cache';

const TOL = 2e-5;

interface Case {
  B: number;
  H: number;
  Hkv: number;
  L: number;
  S: number;
  E: number;
  causal: boolean;
  gate?: 'elementwise' | 'headwise';
  scale?: number;
}

async function runCase(c: Case, variant: AttentionVariant, seed: number, extra: Pick<AttentionOptions, 'flashPrefetch' | 'flashOperands' | 'flashPvUnroll' | 'residency'> = {}) {
  const e = await testEngine();
  const { B, H, Hkv, L, S, E } = c;
  const q = normalArray(B * H * L * E, seed);
  const k = normalArray(B * Hkv * S * E, seed + 1);
  const v = normalArray(B * Hkv * S * E, seed + 2);
  const gw = c.gate === 'elementwise' ? E : 1;
  const g = c.gate ? normalArray(B * H * L * gw, seed + 3, 2) : undefined;
  const qT = e.upload(q, [B, H, L, E], 'activations', 'q');
  const kT = e.upload(k, [B, Hkv, S, E], 'activations', 'k');
  const vT = e.upload(v, [B, Hkv, S, E], 'activations', 'v');
  const gT = g ? e.upload(g, [B, H, L, gw], 'activations', 'gate') : undefined;
  const out = attention(e, headsFirst(qT), headsFirst(kT), headsFirst(vT), { causal: c.causal, scale: c.scale, gate: gT && headsFirst(gT), variant, ...extra });
  const got = await e.read(out);
  const ref = attentionRef(q, k, v, c, { causal: c.causal, scale: c.scale, gate: g });
  [qT, kT, vT, gT, out].forEach((t) => t?.release());
  return { got, ref };
}

/** The keys of the pipelines `e` is asked for from now on, in order (to see which kernel form ran). */
function pipelineKeys(e: Engine): string[] {
  const keys: string[] = [];
  const pipeline = e.pipeline.bind(e);
  e.pipeline = (key, build) => {
    keys.push(key);
    return pipeline(key, build);
  };
  return keys;
}

/** Cases for the flash kernel's non-default forms: head dims 32, 64 and partial buckets, GQA, masks, both gates, L != S. */
const FORM_CASES: Case[] = [
  { B: 2, H: 4, Hkv: 2, L: 150, S: 150, E: 32, causal: true, gate: 'elementwise' },
  { B: 1, H: 2, Hkv: 1, L: 70, S: 200, E: 64, causal: false, gate: 'headwise' },
  { B: 1, H: 3, Hkv: 3, L: 65, S: 130, E: 48, causal: true },
  { B: 2, H: 2, Hkv: 1, L: 40, S: 40, E: 20, causal: true, scale: 0.3 },
  { B: 1, H: 1, Hkv: 1, L: 10, S: 4, E: 32, causal: true },
];

describe('attention against the float64 twin', () => {
  const cases: Case[] = [
    { B: 1, H: 1, Hkv: 1, L: 1, S: 1, E: 32, causal: true },
    { B: 1, H: 2, Hkv: 1, L: 1, S: 77, E: 64, causal: true },
    { B: 2, H: 4, Hkv: 2, L: 70, S: 70, E: 32, causal: true, gate: 'elementwise' },
    { B: 1, H: 4, Hkv: 1, L: 100, S: 100, E: 64, causal: true, gate: 'headwise' },
    { B: 1, H: 2, Hkv: 2, L: 65, S: 130, E: 64, causal: false },
    { B: 1, H: 3, Hkv: 3, L: 33, S: 97, E: 128, causal: true, gate: 'elementwise' },
    { B: 1, H: 2, Hkv: 1, L: 129, S: 129, E: 128, causal: false, gate: 'headwise' },
    { B: 2, H: 2, Hkv: 1, L: 40, S: 40, E: 20, causal: true, scale: 0.3 },
    { B: 1, H: 2, Hkv: 1, L: 70, S: 45, E: 96, causal: true },
    { B: 1, H: 1, Hkv: 1, L: 37, S: 50, E: 256, causal: true, gate: 'elementwise' },
    { B: 1, H: 2, Hkv: 2, L: 20, S: 20, E: 7, causal: false },
  ];
  for (const variant of ['flash', 'flash-tiled', 'naive'] as const) {
    for (const [n, c] of cases.entries()) {
      if (variant === 'flash-tiled' && c.L !== 1) continue;
      const name = `${variant} B=${c.B} H=${c.H} Hkv=${c.Hkv} L=${c.L} S=${c.S} E=${c.E}${c.causal ? ' causal' : ''}${c.gate ? ` gate=${c.gate}` : ''}`;
      it(name, async () => {
        const { got, ref } = await runCase(c, variant, 100 + n * 10);
        expect(relativeError(got, ref)).toBeLessThan(TOL);
      });
    }
  }

  it('flash with key tiles prefetched one tile ahead (not the default; head dims 32 and 64, several key tiles), counting its resident workgroups', async () => {
    const e = await testEngine();
    const flashCases: Case[] = [
      { B: 2, H: 4, Hkv: 2, L: 150, S: 150, E: 32, causal: true, gate: 'elementwise' },
      { B: 1, H: 2, Hkv: 1, L: 70, S: 200, E: 64, causal: false, gate: 'headwise' },
    ];
    for (const [n, c] of flashCases.entries()) {
      const residency = e.upload(new Float32Array(2), [2], 'scratch', 'residency');
      const { got, ref } = await runCase(c, 'flash', 500 + n, { flashPrefetch: true, residency });
      expect(relativeError(got, ref)).toBeLessThan(TOL);
      const [now, most] = new Uint32Array((await e.read(residency)).buffer);
      expect(now).toBe(0);
      expect(most).toBeGreaterThanOrEqual(1);
      expect(most).toBeLessThanOrEqual(c.B * c.H * Math.ceil(c.L / 16));
      residency.release();
    }
  });

  it('flash with Q and V read straight from their buffers (not the default): head dims 32, 64 and partial buckets, GQA, masks, gates, L != S', async () => {
    const e = await testEngine();
    const directCases: Case[] = [...FORM_CASES, { B: 1, H: 2, Hkv: 2, L: 1, S: 77, E: 64, causal: true }];
    const keys = pipelineKeys(e);
    for (const [n, c] of directCases.entries()) {
      const { got, ref } = await runCase(c, 'flash-tiled', 600 + n, { flashOperands: 'direct' });
      expect(relativeError(got, ref), `case ${n}`).toBeLessThan(TOL);
      expect(keys.at(-1), `case ${n}`).toMatch(/^attention_flash:.*direct=true/);
    }
    // With a residency counter (bound after the two extra bindings), and with the key tiles prefetched.
    const residency = e.upload(new Float32Array(2), [2], 'scratch', 'residency');
    const c = directCases[0];
    const { got, ref } = await runCase(c, 'flash', 650, { flashOperands: 'direct', flashPrefetch: true, residency });
    expect(relativeError(got, ref)).toBeLessThan(TOL);
    const [now, most] = new Uint32Array((await e.read(residency)).buffer);
    expect(now).toBe(0);
    expect(most).toBeGreaterThanOrEqual(1);
    residency.release();
  });

  it('flash with 8 query rows per invocation (not the default), both operand forms: head dims 20-64, GQA, masks, gates, L != S', async () => {
    const e = await testEngine();
    const keys = pipelineKeys(e);
    // Shapes that fit SwiftShader's 32 KiB of workgroup memory; KN = 2 and 4 (4: P stored as whole vec4).
    const runs: [FlashTileShape, 'staged' | 'direct'][] = [[[8, 2, 8], 'staged'], [[8, 2, 8], 'direct'], [[4, 4, 8], 'direct']];
    try {
      for (const [shape, form] of runs) {
        setFlashTilePreference([shape]);
        for (const [n, c] of FORM_CASES.entries()) {
          const label = `shape ${shape.join('x')} ${form} case ${n}`;
          const { got, ref } = await runCase(c, 'flash-tiled', 700 + n, { flashOperands: form });
          expect(relativeError(got, ref), label).toBeLessThan(TOL);
          expect(keys.at(-1), label).toMatch(new RegExp(`^attention_flash:D\\d+:TM8:RT${shape[0]}:KN${shape[1]}:.*direct=${form === 'direct'}`));
        }
      }
    } finally {
      setFlashTilePreference(null);
    }
  });

  it('flash with the P·V loop taking 1, 2 or 4 vec4 of P per step, both operand forms; refuses other steps', async () => {
    const e = await testEngine();
    const pvCases = FORM_CASES.slice(0, 3);
    const keys = pipelineKeys(e);
    for (const pvu of [1, 2, 4]) {
      for (const form of ['staged', 'direct'] as const) {
        for (const [n, c] of pvCases.entries()) {
          const label = `pvu ${pvu} ${form} case ${n}`;
          const { got, ref } = await runCase(c, 'flash-tiled', 900 + n, { flashOperands: form, flashPvUnroll: pvu });
          expect(relativeError(got, ref), label).toBeLessThan(TOL);
          expect(keys.at(-1), label).toMatch(new RegExp(`:pvu=${pvu}$`));
        }
      }
    }
    await expect(runCase(pvCases[0], 'flash-tiled', 950, { flashPvUnroll: 3 })).rejects.toThrow(/flashPvUnroll takes 1, 2 or 4, got 3/);
  });

  it('flash with direct operands reads tokens-first Q, K, V (strides H·E) and falls back to staging for odd head dims', async () => {
    const e = await testEngine();
    const [B, H, Hkv, L, S] = [2, 4, 2, 90, 90];
    const keys = pipelineKeys(e);
    for (const E of [32, 7]) {
      const q = normalArray(B * H * L * E, 70 + E);
      const k = normalArray(B * Hkv * S * E, 71 + E);
      const v = normalArray(B * Hkv * S * E, 72 + E);
      const qT = e.upload(headsToTokens(q, B, H, L, E), [B, L, H * E], 'activations', 'q');
      const kT = e.upload(headsToTokens(k, B, Hkv, S, E), [B, S, Hkv * E], 'activations', 'k');
      const vT = e.upload(headsToTokens(v, B, Hkv, S, E), [B, S, Hkv * E], 'activations', 'v');
      const out = attention(e, tokensFirst(qT, H), tokensFirst(kT, Hkv), tokensFirst(vT, Hkv), { causal: true, flashOperands: 'direct', outLayout: 'tokens-first' });
      const got = tokensToHeads(await e.read(out), B, L, H, E);
      const ref = attentionRef(q, k, v, { B, H, Hkv, L, S, E }, { causal: true });
      expect(relativeError(got, ref), `E=${E}`).toBeLessThan(TOL);
      expect(keys.at(-1)).toMatch(E === 32 ? /^attention_flash:.*direct=true/ : /^attention_flash:.*direct=false/);
      [qT, kT, vT, out].forEach((t) => t.release());
    }
  });

  it('L > S with causal masking: rows that see no key are zero, the rest match', async () => {
    const c: Case = { B: 1, H: 1, Hkv: 1, L: 10, S: 4, E: 32, causal: true };
    const { got, ref } = await runCase(c, 'flash', 7);
    for (let i = 0; i < 6 * 32; i++) expect(got[i]).toBe(0);
    expect(relativeError(got, ref)).toBeLessThan(TOL);
  });

  it('a long sequence (L = S = 8200, H = 1, E = 32) stays accurate', async () => {
    const c: Case = { B: 1, H: 1, Hkv: 1, L: 8200, S: 8200, E: 32, causal: true };
    const e = await testEngine();
    const q = normalArray(c.L * c.E, 5);
    const k = normalArray(c.S * c.E, 6);
    const v = normalArray(c.S * c.E, 7);
    const qT = e.upload(q, [1, 1, c.L, c.E], 'activations', 'q');
    const kT = e.upload(k, [1, 1, c.S, c.E], 'activations', 'k');
    const vT = e.upload(v, [1, 1, c.S, c.E], 'activations', 'v');
    const got = await e.read(attention(e, headsFirst(qT), headsFirst(kT), headsFirst(vT), { causal: true }));
    // Check a sample of rows (the twin costs O(L·S·E)): first, tile edges, last.
    const rows = [0, 1, 63, 64, 4095, 8127, 8128, 8199];
    for (const r of rows) {
      const qr = q.subarray(r * c.E, (r + 1) * c.E);
      // Row r of a causal L = S problem is a one-query problem over the first r + 1 keys.
      const ref = attentionRef(qr, k.subarray(0, (r + 1) * c.E), v.subarray(0, (r + 1) * c.E), { B: 1, H: 1, Hkv: 1, L: 1, S: r + 1, E: c.E }, { causal: true });
      expect(relativeError(got.subarray(r * c.E, (r + 1) * c.E), ref)).toBeLessThan(TOL);
    }
  });

  it('tokens-first (B, L, H·E) inputs and output, with a KV cache prefix, match heads-first', async () => {
    const e = await testEngine();
    const [B, H, Hkv, L, S, cap, E] = [2, 4, 2, 5, 37, 64, 32];
    const q = normalArray(B * L * H * E, 11); // (B, L, H, E)
    const kAll = normalArray(B * Hkv * cap * E, 12); // cache (B, Hkv, cap, E)
    const vAll = normalArray(B * Hkv * cap * E, 13);
    const g = normalArray(B * L * H, 14); // per-head gate (B, L, H)
    const qT = e.upload(q, [B, L, H * E], 'activations', 'q');
    const kT = e.upload(kAll, [B, Hkv, cap, E], 'cache', 'k');
    const vT = e.upload(vAll, [B, Hkv, cap, E], 'cache', 'v');
    const gT = e.upload(g, [B, L, H], 'activations', 'g');
    for (const variant of ['flash', 'naive'] as const) {
      const out = attention(e, tokensFirst(qT, H), prefixView(headsFirst(kT), S), prefixView(headsFirst(vT), S), {
        causal: true,
        gate: tokensFirst(gT, H),
        outLayout: 'tokens-first',
        variant,
      });
      expect(out.shape).toEqual([B, L, H * E]);
      const got = await e.read(out);
      const take = (a: Float32Array) => {
        const r = new Float64Array(B * Hkv * S * E);
        for (let bh = 0; bh < B * Hkv; bh++) r.set(a.subarray(bh * cap * E, bh * cap * E + S * E), bh * S * E);
        return r;
      };
      const ref = attentionRef(tokensToHeads(q, B, L, H, E), take(kAll), take(vAll), { B, H, Hkv, L, S, E }, { causal: true, gate: tokensToHeads(g, B, L, H, 1) });
      expect(relativeError(got, headsToTokens(ref, B, H, L, E))).toBeLessThan(TOL);
    }
  });

  it('flash equals naive on the same inputs', async () => {
    const c: Case = { B: 1, H: 4, Hkv: 2, L: 150, S: 150, E: 64, causal: true, gate: 'elementwise' };
    const a = await runCase(c, 'flash', 42);
    const b = await runCase(c, 'naive', 42);
    expect(relativeError(a.got, b.got)).toBeLessThan(1e-5);
  });

  it('names the mismatch when shapes do not fit', async () => {
    const e = await testEngine();
    const q = e.tensor([1, 3, 4, 32], 'activations', 'q');
    const k = e.tensor([1, 2, 4, 32], 'activations', 'k');
    expect(() => attention(e, headsFirst(q), headsFirst(k), headsFirst(k))).toThrow(KernelInputError);
    expect(() => attention(e, headsFirst(q), headsFirst(k), headsFirst(k))).toThrow(/multiple/);
    const k2 = e.tensor([1, 3, 4, 16], 'activations', 'k');
    expect(() => attention(e, headsFirst(q), headsFirst(k2), headsFirst(k2))).toThrow(/head dim/);
  });
});

describe('decode kernel (one query, keys split over workgroups) against the float64 twin', () => {
  const cases: Case[] = [
    { B: 1, H: 1, Hkv: 1, L: 1, S: 1, E: 64, causal: true },
    { B: 1, H: 2, Hkv: 2, L: 1, S: 63, E: 64, causal: true },
    { B: 2, H: 4, Hkv: 1, L: 1, S: 65, E: 32, causal: true, gate: 'elementwise' },
    { B: 1, H: 8, Hkv: 1, L: 1, S: 1000, E: 64, causal: true, gate: 'headwise' },
    { B: 1, H: 6, Hkv: 2, L: 1, S: 517, E: 128, causal: false },
    { B: 2, H: 4, Hkv: 4, L: 1, S: 3001, E: 64, causal: true, scale: 0.4 },
    { B: 1, H: 4, Hkv: 1, L: 1, S: 20000, E: 64, causal: true },
  ];
  for (const [n, c] of cases.entries()) {
    it(`decode B=${c.B} H=${c.H} Hkv=${c.Hkv} S=${c.S} E=${c.E}${c.gate ? ` gate=${c.gate}` : ''}`, async () => {
      const { got, ref } = await runCase(c, 'decode', 300 + n * 10);
      expect(relativeError(got, ref)).toBeLessThan(TOL);
    });
  }
  it('equals the tiled flash kernel on one query; refuses more than one query', async () => {
    const c: Case = { B: 1, H: 4, Hkv: 2, L: 1, S: 300, E: 64, causal: true, gate: 'elementwise' };
    const a = await runCase(c, 'decode', 77);
    const b = await runCase(c, 'flash-tiled', 77);
    expect(relativeError(a.got, b.got)).toBeLessThan(TOL);
    await expect(runCase({ ...c, L: 2 }, 'decode', 1)).rejects.toThrow(/one query/);
  });
});

describe('rope against the float64 twin', () => {
  for (const [B, L, H, E, offset, base] of [
    [1, 1, 1, 32, 0, 10000],
    [2, 13, 3, 64, 5, 10000],
    [1, 7, 2, 128, 1000, 500000],
  ] as const) {
    it(`B=${B} L=${L} H=${H} E=${E} offset=${offset} base=${base}, tokens-first`, async () => {
      const e = await testEngine();
      const x = normalArray(B * L * H * E, L * 7 + E);
      const t = e.upload(x, [B, L, H * E], 'activations', 'x');
      ropeInPlace(e, tokensFirst(t, H), { base, offset });
      // Angles reach ~1000 rad: float32 position·frequency (as the references compute it) costs ~1e-5 there.
      expect(relativeError(await e.read(t), ropeRef(x, B, L, H, E, base, offset))).toBeLessThan(offset >= 1000 ? 5e-5 : 1e-6);
      t.release();
    });
  }

  it('heads-first layout gives the same rotation', async () => {
    const e = await testEngine();
    const [B, L, H, E] = [1, 9, 2, 32];
    const x = normalArray(B * L * H * E, 3);
    const t = e.upload(tokensToHeads(x, B, L, H, E), [B, H, L, E], 'activations', 'x');
    ropeInPlace(e, headsFirst(t), { offset: 3 });
    const ref = tokensToHeads(ropeRef(x, B, L, H, E, 10000, 3), B, L, H, E);
    expect(relativeError(await e.read(t), ref)).toBeLessThan(1e-6);
  });

  it('refuses an odd head dim', async () => {
    const e = await testEngine();
    const t = e.tensor([1, 2, 6], 'activations', 'x');
    expect(() => ropeInPlace(e, tokensFirst(t, 2))).toThrow(/odd/);
  });
});

describe('KV cache: append then decode through the attention kernel', () => {
  it('decode queries against caches of many lengths equal full attention over the prefix', async () => {
    const e = await testEngine();
    const [B, H, Hkv, E, cap] = [2, 4, 2, 64, 160];
    const total = 150;
    const kAll = normalArray(B * total * Hkv * E, 21); // (B, T, Hkv·E) as projections produce it
    const vAll = normalArray(B * total * Hkv * E, 22);
    const qAll = normalArray(B * total * H * E, 23);
    const cache = KvCache.create(e, B, Hkv, cap, E);
    expect(e.memory().live.cache).toBeGreaterThanOrEqual(2 * B * Hkv * cap * E * 4);
    // Prefill 100 positions in one append, then single steps; check decode outputs at several lengths.
    const slice = (a: Float32Array, W: number, t0: number, t1: number) => {
      const r = new Float32Array(B * (t1 - t0) * W);
      for (let b = 0; b < B; b++) r.set(a.subarray((b * total + t0) * W, (b * total + t1) * W), b * (t1 - t0) * W);
      return r;
    };
    const appendRange = (t0: number, t1: number) => {
      const kT = e.upload(slice(kAll, Hkv * E, t0, t1), [B, t1 - t0, Hkv * E], 'activations', 'k');
      const vT = e.upload(slice(vAll, Hkv * E, t0, t1), [B, t1 - t0, Hkv * E], 'activations', 'v');
      cache.append(tokensFirst(kT, Hkv), tokensFirst(vT, Hkv));
      return [kT, vT];
    };
    appendRange(0, 100);
    for (let t = 100; t < total; t++) {
      appendRange(t, t + 1);
      if (![100, 101, 127, 128, 129, 149].includes(t)) continue;
      const q = slice(qAll, H * E, t, t + 1);
      const qT = e.upload(q, [B, 1, H * E], 'activations', 'q');
      const got = await e.read(cache.attend(tokensFirst(qT, H), { outLayout: 'tokens-first' }));
      const S = t + 1;
      const ref = attentionRef(
        q,
        tokensToHeads(slice(kAll, Hkv * E, 0, S), B, S, Hkv, E),
        tokensToHeads(slice(vAll, Hkv * E, 0, S), B, S, Hkv, E),
        { B, H, Hkv, L: 1, S, E },
        { causal: true },
      );
      expect(relativeError(got, ref)).toBeLessThan(TOL);
    }
    expect(cache.length).toBe(total);
    expect(() => appendRange(0, 11)).toThrow(/capacity/);
  });
});
