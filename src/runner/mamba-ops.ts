// Runner ops for the Mamba kernels, with the inputs, attributes and outputs of ../shared/golden/README.md:
// selective_scan, selective_state_update, causal_conv1d and mamba_block. The golden layouts put L fastest
// ((B, D, L), B/C (B, N, L) or (B, G, N, L)); the kernels use D fastest ((B, L, D), B/C rows per token),
// so the ops transpose on the host on the way in and out.

import type { Engine } from '../engine/engine';
import { KernelInputError } from '../engine/errors';
import type { HostTensor } from '../io/safetensors';
import { causalConv1d, type ConvActivation } from '../kernels/causal-conv1d';
import { packScanChannels, selectiveScan, type ScanVariant } from '../kernels/selective-scan';
import { selectiveStateUpdate } from '../kernels/selective-state-update';
import { MambaBlock, resolveMambaSettings } from '../model/blocks/mamba';
import type { HostWeights } from '../model/mixer';
import { attrBool, attrNumber, expectShape, requireInput, toF32, transposeLast2, type Attrs, type RunnerOp } from './op';

const host = (data: Float32Array, shape: number[]): HostTensor => ({ shape, data });

/** B and C as (batch, G, N, L) (or (batch, N, L)) -> one (batch, L, 2·G·N) array: [B(g, n), C(g, n)] per token. */
function packBcTokens(op: string, Bh: HostTensor, Ch: HostTensor, batch: number, seqLen: number): { data: Float32Array; groups: number; dState: number } {
  let groups: number;
  let dState: number;
  if (Bh.shape.length === 3) {
    groups = 1;
    dState = Bh.shape[1];
    expectShape(op, 'B', Bh, [batch, dState, seqLen]);
  } else if (Bh.shape.length === 4) {
    groups = Bh.shape[1];
    dState = Bh.shape[2];
    expectShape(op, 'B', Bh, [batch, groups, dState, seqLen]);
  } else {
    throw new KernelInputError(`${op}: input 'B' has shape ${JSON.stringify(Bh.shape)}; expected (B, N, L) or (B, G, N, L)`);
  }
  expectShape(op, 'C', Ch, Bh.shape);
  const width = groups * dState;
  const bT = transposeLast2(toF32(Bh), batch, width, seqLen);
  const cT = transposeLast2(toF32(Ch), batch, width, seqLen);
  const data = new Float32Array(batch * seqLen * 2 * width);
  for (let r = 0; r < batch * seqLen; r++) {
    data.set(bT.subarray(r * width, (r + 1) * width), r * 2 * width);
    data.set(cT.subarray(r * width, (r + 1) * width), r * 2 * width + width);
  }
  return { data, groups, dState };
}

function optional1d(op: string, inputs: Record<string, HostTensor>, name: string, length: number): Float32Array | null {
  const t = inputs[name];
  if (!t) return null;
  expectShape(op, name, t, [length]);
  return toF32(t);
}

function variantAttr(op: string, attrs: Attrs): ScanVariant {
  const v = attrs.variant ?? 'auto';
  if (v !== 'auto' && v !== 'sequential' && v !== 'chunked') throw new KernelInputError(`${op}: attribute variant='${v}' is not auto, sequential or chunked`);
  return v;
}

export const selectiveScanOp: RunnerOp = {
  inputs: ['u', 'delta', 'A', 'B', 'C'],
  optional: ['D', 'z', 'delta_bias'],
  async run(engine: Engine, inputs, attrs) {
    const op = 'selective_scan';
    const u = requireInput(op, inputs, 'u', 3);
    const [batch, dInner, seqLen] = u.shape;
    expectShape(op, 'delta', requireInput(op, inputs, 'delta'), u.shape);
    const A = requireInput(op, inputs, 'A', 2);
    if (A.shape[0] !== dInner) throw new KernelInputError(`${op}: input 'A' has shape ${JSON.stringify(A.shape)}; expected (D, N) with D = ${dInner}`);
    const bc = packBcTokens(op, requireInput(op, inputs, 'B'), requireInput(op, inputs, 'C'), batch, seqLen);
    if (bc.dState !== A.shape[1]) throw new KernelInputError(`${op}: B has N = ${bc.dState} but A has N = ${A.shape[1]}`);
    if (dInner % bc.groups !== 0) throw new KernelInputError(`${op}: B has ${bc.groups} groups, which do not divide D = ${dInner}`);
    const dState = bc.dState;
    const z = inputs.z;
    if (z) expectShape(op, 'z', z, u.shape);
    const returnLast = attrBool(op, attrs, 'return_last_state', false);
    const toTokens = (t: HostTensor) => transposeLast2(toF32(t), batch, dInner, seqLen);
    const up = (data: Float32Array, shape: number[], label: string) => engine.upload(data, shape, 'activations', label);
    const state = returnLast ? engine.tensor([batch, dInner, dState], 'cache', 'last_state') : undefined;
    const y = selectiveScan(engine, {
      u: up(toTokens(u), [batch, seqLen, dInner], 'u'),
      delta: up(toTokens(inputs.delta), [batch, seqLen, dInner], 'delta'),
      channels: engine.upload(
        packScanChannels(toF32(A), dInner, dState, optional1d(op, inputs, 'D', dInner), optional1d(op, inputs, 'delta_bias', dInner)),
        [dInner, dState + 2],
        'weights',
        'channels',
      ),
      bc: up(bc.data, [batch, seqLen, 2 * bc.groups * dState], 'bc'),
      groups: bc.groups,
      z: z ? up(toTokens(z), [batch, seqLen, dInner], 'z') : undefined,
      deltaSoftplus: attrBool(op, attrs, 'delta_softplus', false),
      state,
      writeFinalState: returnLast,
      variant: variantAttr(op, attrs),
    });
    const out: Record<string, HostTensor> = { out: host(transposeLast2(await engine.read(y), batch, seqLen, dInner), [batch, dInner, seqLen]) };
    if (state) out.last_state = host(await engine.read(state), [batch, dInner, dState]);
    return out;
  },
};

export const selectiveStateUpdateOp: RunnerOp = {
  inputs: ['state', 'x', 'dt', 'A', 'B', 'C'],
  optional: ['D', 'z', 'dt_bias'],
  async run(engine, inputs, attrs) {
    const op = 'selective_state_update';
    const s = requireInput(op, inputs, 'state', 3);
    const [batch, dInner, dState] = s.shape;
    for (const name of ['x', 'dt']) expectShape(op, name, requireInput(op, inputs, name), [batch, dInner]);
    expectShape(op, 'A', requireInput(op, inputs, 'A'), [dInner, dState]);
    const Bh = requireInput(op, inputs, 'B');
    // (B, N), or grouped (B, G, N).
    const groups = Bh.shape.length === 3 ? Bh.shape[1] : 1;
    expectShape(op, 'B', Bh, Bh.shape.length === 3 ? [batch, groups, dState] : [batch, dState]);
    expectShape(op, 'C', requireInput(op, inputs, 'C'), Bh.shape);
    if (dInner % groups !== 0) throw new KernelInputError(`${op}: B has ${groups} groups, which do not divide D = ${dInner}`);
    if (inputs.z) expectShape(op, 'z', inputs.z, [batch, dInner]);
    const width = groups * dState;
    const bc = new Float32Array(batch * 2 * width);
    const Bf = toF32(Bh);
    const Cf = toF32(inputs.C);
    for (let b = 0; b < batch; b++) {
      bc.set(Bf.subarray(b * width, (b + 1) * width), b * 2 * width);
      bc.set(Cf.subarray(b * width, (b + 1) * width), b * 2 * width + width);
    }
    const state = engine.upload(toF32(s), [batch, dInner, dState], 'cache', 'state');
    const y = selectiveStateUpdate(engine, {
      state,
      x: engine.upload(toF32(inputs.x), [batch, dInner], 'activations', 'x'),
      dt: engine.upload(toF32(inputs.dt), [batch, dInner], 'activations', 'dt'),
      channels: engine.upload(
        packScanChannels(toF32(inputs.A), dInner, dState, optional1d(op, inputs, 'D', dInner), optional1d(op, inputs, 'dt_bias', dInner)),
        [dInner, dState + 2],
        'weights',
        'channels',
      ),
      bc: engine.upload(bc, [batch, 2 * width], 'activations', 'bc'),
      groups,
      z: inputs.z ? engine.upload(toF32(inputs.z), [batch, dInner], 'activations', 'z') : undefined,
      dtSoftplus: attrBool(op, attrs, 'dt_softplus', false),
    });
    return {
      out: host(await engine.read(y), [batch, dInner]),
      state: host(await engine.read(state), [batch, dInner, dState]),
    };
  },
};

function activationAttr(op: string, attrs: Attrs): ConvActivation {
  const v = attrs.activation;
  if (v === undefined || v === '' || v === 'none' || v === 'None' || v === 'false') return 'none';
  if (v === 'silu' || v === 'swish' || v === 'true') return 'silu';
  throw new KernelInputError(`${op}: attribute activation='${v}' is not silu or none`);
}

export const causalConv1dOp: RunnerOp = {
  inputs: ['x', 'weight'],
  optional: ['bias'],
  async run(engine, inputs, attrs) {
    const op = 'causal_conv1d';
    const x = requireInput(op, inputs, 'x', 3);
    const [batch, channels, seqLen] = x.shape;
    const w = requireInput(op, inputs, 'weight');
    if (!(w.shape.length === 2 || (w.shape.length === 3 && w.shape[1] === 1)) || w.shape[0] !== channels) {
      throw new KernelInputError(`${op}: input 'weight' has shape ${JSON.stringify(w.shape)}; expected (D, W) with D = ${channels}`);
    }
    const width = w.shape[w.shape.length - 1];
    const bias = optional1d(op, inputs, 'bias', channels);
    const out = causalConv1d(engine, {
      x: engine.upload(transposeLast2(toF32(x), batch, channels, seqLen), [batch, seqLen, channels], 'activations', 'x'),
      weight: engine.upload(toF32(w), [channels, width], 'weights', 'weight'),
      bias: bias ? engine.upload(bias, [channels], 'weights', 'bias') : undefined,
      activation: activationAttr(op, attrs),
    });
    return { out: host(transposeLast2(await engine.read(out), batch, seqLen, channels), [batch, channels, seqLen]) };
  },
};

const MAMBA_WEIGHTS = ['in_proj.weight', 'conv1d.weight', 'conv1d.bias', 'x_proj.weight', 'dt_proj.weight', 'dt_proj.bias', 'A_log', 'D', 'out_proj.weight'];

export const mambaBlockOp: RunnerOp = {
  inputs: ['hidden_states', ...MAMBA_WEIGHTS],
  async run(engine, inputs, attrs) {
    const op = 'mamba_block';
    const x = requireInput(op, inputs, 'hidden_states', 3);
    const [batch, seqLen, dModel] = x.shape;
    const settings = resolveMambaSettings(
      {
        dState: attrNumber(op, attrs, 'd_state', 16),
        dConv: attrNumber(op, attrs, 'd_conv', 4),
        expand: attrNumber(op, attrs, 'expand', 2),
        dtRank: attrs.dt_rank === undefined || attrs.dt_rank === 'auto' ? 'auto' : attrNumber(op, attrs, 'dt_rank'),
      },
      dModel,
    );
    const weights: HostWeights = {};
    for (const name of MAMBA_WEIGHTS) {
      const t = requireInput(op, inputs, name);
      weights[name] = { shape: [...t.shape], data: toF32(t) };
    }
    const block = new MambaBlock(engine, settings, dModel, weights, { scanVariant: variantAttr(op, attrs) });
    const out = block.forward(engine.upload(toF32(x), x.shape, 'activations', 'hidden_states'));
    return { out: host(await engine.read(out), [batch, seqLen, dModel]) };
  },
};
