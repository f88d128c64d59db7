// Gated linear attention kernels (recurrent and chunked) against the float64 twin: initial and final
// states, lengths that are not multiples of the chunk, key/value head dims 32..128, strong decays
// (cumulative log decay far below fp32's exp range within one chunk), and chunked == recurrent.
import { describe, expect, it } from 'vitest';
import { testEngine } from '../testing/engine';
import { normalArray, relativeError, uniformArray } from '../testing/random';
import { glaRef } from '../reference/gla';
import { gla, type GlaVariant } from './gla';
import { KernelInputError } from '../engine/errors';

const TOL = 2e-5;

interface Case {
  B: number;
  T: number;
  H: number;
  K: number;
  V: number;
  init: boolean;
  /** Range of gk (log decays). */
  gkLo?: number;
}

function inputs(c: Case, seed: number) {
  const { B, T, H, K, V } = c;
  const q = normalArray(B * T * H * K, seed);
  const k = normalArray(B * T * H * K, seed + 1);
  const v = normalArray(B * T * H * V, seed + 2);
  const gk = uniformArray(B * T * H * K, seed + 3, c.gkLo ?? -0.3, 0);
  const h0 = c.init ? normalArray(B * H * K * V, seed + 4) : undefined;
  return { q, k, v, gk, h0 };
}

async function runGla(c: Case, variant: GlaVariant, seed: number) {
  const e = await testEngine();
  const { B, T, H, K, V } = c;
  const x = inputs(c, seed);
  const up = (a: Float32Array, w: number, n: string) => e.upload(a, [B, T, H, w], 'activations', n);
  const [qT, kT, vT, gT] = [up(x.q, K, 'q'), up(x.k, K, 'k'), up(x.v, V, 'v'), up(x.gk, K, 'gk')];
  const st = x.h0 ? e.upload(x.h0, [B, H, K, V], 'cache', 'state') : undefined;
  const { o, state } = gla(e, qT, kT, vT, gT, { state: st, variant });
  const got = { o: await e.read(o), state: await e.read(state) };
  [qT, kT, vT, gT, o, state].forEach((t) => t.release());
  return { got, ref: glaRef(x.q, x.k, x.v, x.gk, c, { initialState: x.h0 }) };
}

describe('gla against the float64 twin', () => {
  const cases: Case[] = [
    { B: 1, T: 1, H: 1, K: 32, V: 32, init: false },
    { B: 1, T: 1, H: 2, K: 32, V: 64, init: true },
    { B: 2, T: 65, H: 2, K: 32, V: 64, init: true },
    { B: 1, T: 200, H: 2, K: 64, V: 64, init: false },
    { B: 1, T: 130, H: 1, K: 128, V: 128, init: true },
    { B: 1, T: 77, H: 3, K: 48, V: 20, init: true },
    { B: 1, T: 150, H: 1, K: 32, V: 32, init: true, gkLo: -6 },
  ];
  for (const variant of ['chunked', 'recurrent'] as const) {
    for (const [n, c] of cases.entries()) {
      it(`${variant} B=${c.B} T=${c.T} H=${c.H} K=${c.K} V=${c.V}${c.init ? ' with initial state' : ''}${c.gkLo ? ` gk in [${c.gkLo}, 0]` : ''}`, async () => {
        const { got, ref } = await runGla(c, variant, 300 + n * 10);
        expect(relativeError(got.o, ref.o)).toBeLessThan(TOL);
        expect(relativeError(got.state, ref.finalState)).toBeLessThan(TOL);
        for (const x of got.o) expect(Number.isFinite(x)).toBe(true);
      });
    }
  }

  it('chunked equals recurrent on a long sequence (T = 1000)', async () => {
    const c: Case = { B: 1, T: 1000, H: 2, K: 64, V: 64, init: true, gkLo: -1 };
    const a = await runGla(c, 'chunked', 9);
    const b = await runGla(c, 'recurrent', 9);
    expect(relativeError(a.got.o, b.got.o)).toBeLessThan(2e-5);
    expect(relativeError(a.got.state, b.got.state)).toBeLessThan(2e-5);
    expect(relativeError(a.got.o, a.ref.o)).toBeLessThan(TOL);
  });

  it('prefill of T then single recurrent steps equals one pass over T + k', async () => {
    const e = await testEngine();
    const c: Case = { B: 1, T: 90, H: 2, K: 32, V: 32, init: false };
    const x = inputs(c, 77);
    const { B, H, K, V } = c;
    const T0 = 83;
    const rows = (a: Float32Array, w: number, t0: number, t1: number) => a.subarray(t0 * H * w, t1 * H * w);
    const up = (a: Float32Array, w: number, t0: number, t1: number) => e.upload(rows(a, w, t0, t1), [B, t1 - t0, H, w], 'activations', 'x');
    const state = e.tensor([B, H, K, V], 'cache', 'state');
    const outs: Float32Array[] = [];
    const first = gla(e, up(x.q, K, 0, T0), up(x.k, K, 0, T0), up(x.v, V, 0, T0), up(x.gk, K, 0, T0), { state, initialState: false });
    outs.push(await e.read(first.o));
    for (let t = T0; t < c.T; t++) {
      const r = gla(e, up(x.q, K, t, t + 1), up(x.k, K, t, t + 1), up(x.v, V, t, t + 1), up(x.gk, K, t, t + 1), { state });
      outs.push(await e.read(r.o));
    }
    const got = new Float32Array(outs.reduce((n, a) => n + a.length, 0));
    let at = 0;
    for (const a of outs) {
      got.set(a, at);
      at += a.length;
    }
    const ref = glaRef(x.q, x.k, x.v, x.gk, c);
    expect(relativeError(got, ref.o)).toBeLessThan(TOL);
    expect(relativeError(await e.read(state), ref.finalState)).toBeLessThan(TOL);
  });

  it('names the mismatch when shapes do not fit', async () => {
    const e = await testEngine();
    const q = e.tensor([1, 4, 2, 32], 'activations', 'q');
    const v = e.tensor([1, 4, 2, 16], 'activations', 'v');
    const gk = e.tensor([1, 5, 2, 32], 'activations', 'gk');
    expect(() => gla(e, q, q, v, gk)).toThrow(KernelInputError);
    expect(() => gla(e, q, q, v, gk)).toThrow(/gk/);
  });
});
