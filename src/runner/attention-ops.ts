// Runner ops for attention and gated linear attention, as the golden README defines them:
//   attention: q (B, H, L, E), k and v (B, Hkv, S, E), optional gate (B, H, L, E) or (B, H, L, 1);
//              attributes causal (default false, as SDPA's is_causal), scale (default E^-0.5) -> out (B, H, L, E).
//   gla:       q, k, gk (B, T, H, K), v (B, T, H, V), optional initial_state (B, H, K, V); attributes
//              output_final_state (default false), scale (default K^-0.5) -> o (B, T, H, V) and, when asked,
//              final_state (B, H, K, V).
// An optional attribute `variant` picks the kernel: attention 'flash' (default) or 'naive', gla 'chunked'
// (default) or 'recurrent'.

import { attention, headsFirst } from '../kernels/attention';
import { gla } from '../kernels/gla';
import { attrBool, attrNumber, expectShape, requireInput, toF32, type RunnerOp } from './op';
import { KernelInputError } from '../engine/errors';
import type { HostTensor } from '../io/safetensors';

function badVariant(op: string, v: string): never {
  throw new KernelInputError(`${op}: unknown variant '${v}'`);
}

export const attentionOp: RunnerOp = {
  inputs: ['q', 'k', 'v'],
  optional: ['gate'],
  async run(engine, inputs, attrs) {
    const op = 'attention';
    const q = requireInput(op, inputs, 'q', 4);
    const k = requireInput(op, inputs, 'k', 4);
    const v = requireInput(op, inputs, 'v', 4);
    const [B, H, L, E] = q.shape;
    const [, Hkv, S] = k.shape;
    expectShape(op, 'k', k, [B, Hkv, S, E]);
    expectShape(op, 'v', v, [B, Hkv, S, E]);
    if (Hkv === 0 || H % Hkv !== 0) throw new KernelInputError(`${op}: q has ${H} heads, not a multiple of k's ${Hkv}`);
    const gate = inputs.gate;
    if (gate) {
      const w = gate.shape[3];
      if (w !== E && w !== 1) throw new KernelInputError(`${op}: input 'gate' has shape ${JSON.stringify(gate.shape)}; expected [${B},${H},${L},${E}] or [${B},${H},${L},1]`);
      expectShape(op, 'gate', gate, [B, H, L, w]);
    }
    const causal = attrBool(op, attrs, 'causal', false);
    const scale = attrNumber(op, attrs, 'scale', 1 / Math.sqrt(E));
    const up = (name: string, t: HostTensor) => engine.upload(toF32(t), t.shape, 'activations', name);
    const qT = up('q', q);
    const kT = up('k', k);
    const vT = up('v', v);
    const gT = gate ? up('gate', gate) : undefined;
    const variant = attrs.variant === undefined || attrs.variant === 'flash' || attrs.variant === 'naive' ? (attrs.variant ?? 'flash') : badVariant(op, attrs.variant);
    const out = attention(engine, headsFirst(qT), headsFirst(kT), headsFirst(vT), { causal, scale, gate: gT && headsFirst(gT), variant });
    return { out: { shape: [...out.shape], data: await engine.read(out) } };
  },
};

export const glaOp: RunnerOp = {
  inputs: ['q', 'k', 'v', 'gk'],
  optional: ['initial_state'],
  async run(engine, inputs, attrs) {
    const op = 'gla';
    const q = requireInput(op, inputs, 'q', 4);
    const k = requireInput(op, inputs, 'k', 4);
    const v = requireInput(op, inputs, 'v', 4);
    const gk = requireInput(op, inputs, 'gk', 4);
    const [B, T, H, K] = q.shape;
    const V = v.shape[3];
    expectShape(op, 'k', k, [B, T, H, K]);
    expectShape(op, 'gk', gk, [B, T, H, K]);
    expectShape(op, 'v', v, [B, T, H, V]);
    const init = inputs.initial_state;
    if (init) expectShape(op, 'initial_state', init, [B, H, K, V]);
    const outputFinal = attrBool(op, attrs, 'output_final_state', false);
    const scale = attrNumber(op, attrs, 'scale', 1 / Math.sqrt(K));
    const up = (name: string, t: HostTensor) => engine.upload(toF32(t), t.shape, 'activations', name);
    const state = init ? up('initial_state', init) : undefined;
    const variant = attrs.variant === undefined || attrs.variant === 'chunked' || attrs.variant === 'recurrent' ? (attrs.variant ?? 'chunked') : badVariant(op, attrs.variant);
    const r = gla(engine, up('q', q), up('k', k), up('v', v), up('gk', gk), { scale, state, initialState: Boolean(init), variant });
    const result: Record<string, { shape: number[]; data: Float32Array }> = { o: { shape: [B, T, H, V], data: await engine.read(r.o) } };
    if (outputFinal) result.final_state = { shape: [B, H, K, V], data: await engine.read(r.state) };
    return result;
  },
};
