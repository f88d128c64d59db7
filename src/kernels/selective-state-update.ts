// Selective state update (Mamba decode, one token), official selective_state_update_ref semantics:
//   dt = softplus?(dt + dtBias); state = state·exp(dt·A) + dt·B·x; y = <state, C> + Dskip·x; y *= silu(z).
// Dimensions: B batch, D dInner, N dState, G groups of B/C. State (B, D, N) is updated in place.
// x rows of xLayout.rowStride at xLayout.offset (default (B, D)); dt, y (B, D); per-channel params `channels` (D, N + 2) = [A, Dskip, dtBias] (packScanChannels);
// B and C in one tensor `bc` of B rows of bcLayout.rowStride (B at bOffset + g·N, C at cOffset + g·N);
// z rows of zLayout.rowStride at zLayout.offset. With `dtProjection` the dt projection is fused in:
// dt = bc[b, 0..rank) · dtProjWeight(D, rank)ᵀ (the Mamba block's x_proj output starts with the low-rank dt).

import source from '../../shaders/selective_state_update.wgsl?raw';
import commonSource from '../../shaders/selective_scan_common.wgsl?raw';
import type { Engine } from '../engine/engine';
import { grid1d } from '../engine/engine';
import { KernelInputError } from '../engine/errors';
import { Tensor, shapeToString } from '../engine/tensor';
import { defineUniforms } from '../engine/uniforms';
import type { MemoryCategory } from '../engine/allocator';
import type { BcLayout } from './selective-scan';

const PARAMS = defineUniforms([
  ['batch', 'u32'],
  ['dInner', 'u32'],
  ['dState', 'u32'],
  ['groups', 'u32'],
  ['bcRowStride', 'u32'],
  ['bOffset', 'u32'],
  ['cOffset', 'u32'],
  ['zRowStride', 'u32'],
  ['zOffset', 'u32'],
  ['hasZ', 'u32'],
  ['dtSoftplus', 'u32'],
  ['dtRank', 'u32'],
  ['xRowStride', 'u32'],
  ['xOffset', 'u32'],
] as const);

/** Lanes per channel: the power of two covering dState, at most the workgroup (see the shader). */
function lanesPerChannel(dState: number, wg: number): number {
  let nl = 1;
  while (nl < dState && nl < wg) nl *= 2;
  return nl;
}

export interface SelectiveStateUpdateArgs {
  /** (B, D, N), updated in place. */
  state: Tensor;
  /** (B, D) or (B, 1, D); or B rows of xLayout.rowStride with the D values at xLayout.offset. */
  x: Tensor;
  xLayout?: { rowStride: number; offset: number };
  /** (B, D) raw dt; or, with dtProjection, the dt_proj weight (D, rank). */
  dt: Tensor;
  dtProjection?: { rank: number };
  /** (D, N + 2): A, Dskip, dtBias (packScanChannels). */
  channels: Tensor;
  bc: Tensor;
  bcLayout?: BcLayout;
  groups?: number;
  z?: Tensor;
  zLayout?: { rowStride: number; offset: number };
  dtSoftplus?: boolean;
  out?: Tensor;
  category?: MemoryCategory;
  label?: string;
}

export function selectiveStateUpdate(engine: Engine, args: SelectiveStateUpdateArgs): Tensor {
  const { state, x, dt, channels, bc } = args;
  if (state.shape.length !== 3) throw new KernelInputError(`selective_state_update: state must be (B, D, N), got ${shapeToString(state.shape)}`);
  const [batch, dInner, dState] = state.shape;
  const xLayout = args.xLayout ?? { rowStride: dInner, offset: 0 };
  if (xLayout.offset + dInner > xLayout.rowStride || x.numel < batch * xLayout.rowStride) {
    throw new KernelInputError(`selective_state_update: x ${shapeToString(x.shape)} must hold B = ${batch} rows of ${xLayout.rowStride} with D = ${dInner} values at ${xLayout.offset}`);
  }
  const rank = args.dtProjection?.rank ?? 0;
  if (rank > 0) {
    if (dt.numel !== dInner * rank) throw new KernelInputError(`selective_state_update: dt projection weight ${shapeToString(dt.shape)} must be (D, rank) = (${dInner}, ${rank})`);
  } else if (dt.numel !== batch * dInner) {
    throw new KernelInputError(`selective_state_update: dt ${shapeToString(dt.shape)} must hold (B, D) = (${batch}, ${dInner})`);
  }
  if (channels.shape.length !== 2 || channels.shape[0] !== dInner || channels.shape[1] !== dState + 2) {
    throw new KernelInputError(`selective_state_update: channels ${shapeToString(channels.shape)} must be (D, N + 2) = (${dInner}, ${dState + 2})`);
  }
  const groups = args.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1 || dInner % groups !== 0) throw new KernelInputError(`selective_state_update: groups ${groups} must divide D = ${dInner}`);
  const bcLayout = args.bcLayout ?? { rowStride: 2 * groups * dState, bOffset: 0, cOffset: groups * dState };
  if (bcLayout.bOffset + groups * dState > bcLayout.rowStride || bcLayout.cOffset + groups * dState > bcLayout.rowStride || rank > bcLayout.rowStride) {
    throw new KernelInputError(`selective_state_update: B/C columns do not fit bc rows of ${bcLayout.rowStride}`);
  }
  if (bc.numel < batch * bcLayout.rowStride) throw new KernelInputError(`selective_state_update: bc ${shapeToString(bc.shape)} holds fewer than B = ${batch} rows of ${bcLayout.rowStride}`);
  const zLayout = args.zLayout ?? { rowStride: dInner, offset: 0 };
  if (args.z && (zLayout.offset + dInner > zLayout.rowStride || args.z.numel < batch * zLayout.rowStride)) {
    throw new KernelInputError(`selective_state_update: z ${shapeToString(args.z.shape)} does not hold B rows of ${zLayout.rowStride}`);
  }
  const out = args.out ?? engine.tensor([batch, dInner], args.category ?? 'activations', args.label ?? 'selective_state_update.out');
  if (out.numel !== batch * dInner) throw new KernelInputError(`selective_state_update: out ${shapeToString(out.shape)} does not hold (B, D)`);
  const limits = engine.report.limits;
  const WG = Math.min(256, limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX);
  const NL = lanesPerChannel(dState, WG);
  const channelsPerGroup = WG / NL;
  const pipeline = engine.pipeline(`selective_state_update:${WG}:${NL}`, () => ({ code: PARAMS.wgsl() + commonSource + source, constants: { WG, NL } }));
  engine.dispatch(
    () => `selective_state_update(B=${batch}, D=${dInner}, N=${dState}${rank ? `, dt rank ${rank}` : ''})`,
    pipeline,
    [state, x, dt, channels, bc, args.z ?? x, out],
    grid1d(Math.ceil((batch * dInner) / channelsPerGroup), limits.maxComputeWorkgroupsPerDimension),
    PARAMS.pack({
      batch,
      dInner,
      dState,
      groups,
      bcRowStride: bcLayout.rowStride,
      bOffset: bcLayout.bOffset,
      cOffset: bcLayout.cOffset,
      zRowStride: zLayout.rowStride,
      zOffset: zLayout.offset,
      hasZ: args.z ? 1 : 0,
      dtSoftplus: args.dtSoftplus ? 1 : 0,
      dtRank: rank,
      xRowStride: xLayout.rowStride,
      xOffset: xLayout.offset,
    }),
  );
  return out;
}
