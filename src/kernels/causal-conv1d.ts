// Causal depthwise conv1d (Mamba's short convolution), official causal_conv1d_ref semantics:
//   out(b, t, d) = act(bias(d) + sum_{k<W} weight(d, k) · x(b, t - (W-1) + k, d)), act = SiLU or none.
// Dimensions: B batch, L seqLen, D channels, W width (any W >= 1). Layouts (D fastest): x B·L rows of
// xLayout.rowStride floats with the D channels at xLayout.offset (so x can be a column slice of in_proj's
// output); weight (D, W); bias (D); out (B, L, D). Decode state: convState (B, W - 1, D), row j holding
// the input W - 1 - j tokens back.
//   causalConv1d: a sequence, optionally starting from convState and optionally rewriting it in place
//     with the last W - 1 inputs (a second dispatch, after the outputs are computed).
//   causalConv1dStep: one token, output and state shift in one dispatch.

import convSource from '../../shaders/causal_conv1d.wgsl?raw';
import stateSource from '../../shaders/causal_conv1d_state.wgsl?raw';
import stepSource from '../../shaders/causal_conv1d_step.wgsl?raw';
import type { Engine } from '../engine/engine';
import { grid1d } from '../engine/engine';
import { KernelInputError } from '../engine/errors';
import { Tensor, shapeToString } from '../engine/tensor';
import { defineUniforms } from '../engine/uniforms';
import type { MemoryCategory } from '../engine/allocator';

const PARAMS = defineUniforms([
  ['batch', 'u32'],
  ['seqLen', 'u32'],
  ['channels', 'u32'],
  ['width', 'u32'],
  ['xRowStride', 'u32'],
  ['xOffset', 'u32'],
  ['hasBias', 'u32'],
  ['activation', 'u32'],
  ['hasInitState', 'u32'],
] as const);

const WG = 256;

export type ConvActivation = 'silu' | 'none';

export interface CausalConv1dArgs {
  /** B·L rows (shape (B, L, ·)) of xLayout.rowStride floats. */
  x: Tensor;
  xLayout?: { rowStride: number; offset: number };
  /** Number of channels D (default: x's last dim). */
  channels?: number;
  /** (D, W) or (D, 1, W). */
  weight: Tensor;
  bias?: Tensor;
  activation?: ConvActivation;
  /** (B, W - 1, D): the inputs before the sequence (when useInitialState) and, with updateState, rewritten. */
  convState?: Tensor;
  useInitialState?: boolean;
  updateState?: boolean;
  out?: Tensor;
  category?: MemoryCategory;
  label?: string;
}

interface Resolved {
  batch: number;
  seqLen: number;
  channels: number;
  width: number;
  xLayout: { rowStride: number; offset: number };
}

function resolve(op: string, a: CausalConv1dArgs): Resolved {
  const { x, weight } = a;
  if (x.shape.length !== 3) throw new KernelInputError(`${op}: x must be (B, L, ·), got ${shapeToString(x.shape)}`);
  const [batch, seqLen, cols] = x.shape;
  const channels = a.channels ?? cols;
  const xLayout = a.xLayout ?? { rowStride: cols, offset: 0 };
  if (xLayout.rowStride !== cols || xLayout.offset + channels > cols) {
    throw new KernelInputError(`${op}: x ${shapeToString(x.shape)} rows cannot hold ${channels} channels at column ${xLayout.offset}`);
  }
  const w = weight.shape;
  const width = w[w.length - 1];
  if (!((w.length === 2 || (w.length === 3 && w[1] === 1)) && w[0] === channels) || width < 1) {
    throw new KernelInputError(`${op}: weight ${shapeToString(w)} must be (D, W) or (D, 1, W) with D = ${channels}`);
  }
  if (a.bias && a.bias.numel !== channels) throw new KernelInputError(`${op}: bias ${shapeToString(a.bias.shape)} must be (D) = (${channels})`);
  if (a.convState) {
    const s = a.convState.shape;
    if (s.length !== 3 || s[0] !== batch || s[1] !== width - 1 || s[2] !== channels) {
      throw new KernelInputError(`${op}: convState ${shapeToString(s)} must be (B, W - 1, D) = (${batch}, ${width - 1}, ${channels})`);
    }
  }
  return { batch, seqLen, channels, width, xLayout };
}

function pack(r: Resolved, a: CausalConv1dArgs, hasInitState: boolean): ArrayBuffer {
  return PARAMS.pack({
    batch: r.batch,
    seqLen: r.seqLen,
    channels: r.channels,
    width: r.width,
    xRowStride: r.xLayout.rowStride,
    xOffset: r.xLayout.offset,
    hasBias: a.bias ? 1 : 0,
    activation: (a.activation ?? 'none') === 'silu' ? 1 : 0,
    hasInitState: hasInitState ? 1 : 0,
  });
}

export function causalConv1d(engine: Engine, a: CausalConv1dArgs): Tensor {
  const r = resolve('causal_conv1d', a);
  const useInit = a.useInitialState ?? false;
  if ((useInit || a.updateState) && !a.convState) throw new KernelInputError('causal_conv1d: convState is needed to start from or update a state');
  const out = a.out ?? engine.tensor([r.batch, r.seqLen, r.channels], a.category ?? 'activations', a.label ?? 'causal_conv1d.out');
  if (out.numel !== r.batch * r.seqLen * r.channels) throw new KernelInputError(`causal_conv1d: out ${shapeToString(out.shape)} does not hold (B, L, D)`);
  const maxDim = engine.report.limits.maxComputeWorkgroupsPerDimension;
  const size = `B=${r.batch}, L=${r.seqLen}, D=${r.channels}, W=${r.width}`;
  const uniforms = pack(r, a, useInit);
  const conv = engine.pipeline('causal_conv1d', () => ({ code: PARAMS.wgsl() + convSource, constants: { WG } }));
  engine.dispatch(
    () => `causal_conv1d(${size})`,
    conv,
    [a.x, a.weight, a.bias ?? a.weight, a.convState ?? a.x, out],
    grid1d(Math.ceil((r.batch * r.seqLen * r.channels) / WG), maxDim),
    uniforms,
  );
  if (a.updateState && r.width > 1 && r.seqLen > 0) {
    const state = engine.pipeline('causal_conv1d_state', () => ({ code: PARAMS.wgsl() + stateSource, constants: { WG } }));
    engine.dispatch(() => `causal_conv1d_state(${size})`, state, [a.x, a.convState!], grid1d(Math.ceil((r.batch * r.channels) / WG), maxDim), uniforms);
  }
  return out;
}

/** One decode token: x (B, 1, ·) -> out (B, 1, D); convState (B, W - 1, D) shifted in place. */
export function causalConv1dStep(engine: Engine, a: CausalConv1dArgs & { convState: Tensor }): Tensor {
  const r = resolve('causal_conv1d_step', a);
  if (r.seqLen !== 1) throw new KernelInputError(`causal_conv1d_step: x ${shapeToString(a.x.shape)} must hold one token (B, 1, ·)`);
  const out = a.out ?? engine.tensor([r.batch, 1, r.channels], a.category ?? 'activations', a.label ?? 'causal_conv1d_step.out');
  if (out.numel !== r.batch * r.channels) throw new KernelInputError(`causal_conv1d_step: out ${shapeToString(out.shape)} does not hold (B, 1, D)`);
  const step = engine.pipeline('causal_conv1d_step', () => ({ code: PARAMS.wgsl() + stepSource, constants: { WG } }));
  engine.dispatch(
    () => `causal_conv1d_step(B=${r.batch}, D=${r.channels}, W=${r.width})`,
    step,
    [a.x, a.weight, a.bias ?? a.weight, a.convState, out],
    grid1d(Math.ceil((r.batch * r.channels) / WG), engine.report.limits.maxComputeWorkgroupsPerDimension),
    pack(r, a, true),
  );
  return out;
}
