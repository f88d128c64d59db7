// The Mamba mixer block (mamba_ssm's Mamba, the sub-layer alone: no norm, no residual) on WGSL kernels.
// Dimensions: B batch, L seqLen, d = dModel, Di = dInner = expand·d, N = dState, W = dConv, R = dtRank.
//   xz = x · in_projᵀ (B, L, 2·Di); x_in = xz[..., :Di], z = xz[..., Di:]
//   u = silu(conv1d(x_in) + conv bias) (B, L, Di)
//   xdbl = u · x_projᵀ (B, L, R + 2N) = [dt_low, B, C]
//   delta = dt_low · dt_projᵀ (B, L, Di)   (dt_proj.bias is the scan's delta_bias, with softplus)
//   y = selective_scan(u, delta, A = -exp(A_log), B, C, D, z) (B, L, Di); out = y · out_projᵀ (B, L, d)
// Weights (official state_dict names): in_proj.weight (2Di, d), conv1d.weight (Di, 1, W), conv1d.bias (Di),
// x_proj.weight (R + 2N, Di), dt_proj.weight (Di, R), dt_proj.bias (Di), A_log (Di, N), D (Di),
// out_proj.weight (d, Di). Uploaded as they are, except that A_log, D and dt_proj.bias travel packed as
// 'scan.channels' (Di, N + 2) = [A = -exp(A_log), D, dt_proj.bias]: the same number of values, so the
// weight bytes on the GPU equal the parameter count · 4. delta reads the first R columns of xdbl in place.
// Decode state (MambaState, category 'cache'): conv (B, W - 1, Di) = the last W - 1 conv inputs (row j is
// W - 1 - j tokens back) and ssm (B, Di, N). Per decode token, 4 dispatches: [pre-norm (stepInto) + in_proj
// + conv step + SiLU] -> uz = [u | z] (B, 1, 2·Di); [x_proj of u]; [state update with the dt projection, D
// and the z gate fused in]; [out_proj, added into the residual stream by stepInto].

import type { Engine } from '../../engine/engine';
import { KernelInputError } from '../../engine/errors';
import { mambaWeights } from '../cost-model';
import { checkBlockWeights, shapesOf, uploadBlockWeight } from './block-weights';
import type { WeightFormat } from '../storage-format';
import { Tensor, shapeToString } from '../../engine/tensor';
import { gemv, matmul } from '../../kernels/matmul';
import { causalConv1d } from '../../kernels/causal-conv1d';
import { mambaInProjStep } from '../../kernels/mamba-in-proj-step';
import { packScanChannels, selectiveScan, type ScanVariant } from '../../kernels/selective-scan';
import { selectiveStateUpdate } from '../../kernels/selective-state-update';
import { scratchShaped } from '../../kernels/scratch-pool';
import type { BlockFactory, BlockNorm, BlockState, HostWeights, SequenceBlock } from '../mixer';

export { mambaBlockRef } from '../../reference/mamba';

export interface MambaSettings {
  /** N: SSM state size per channel (default 16). */
  dState: number;
  /** W: causal conv width (default 4). */
  dConv: number;
  /** dInner = expand · dModel (default 2). */
  expand: number;
  /** R: rank of the Δ projection (default ceil(dModel / 16)). */
  dtRank: number;
}

export type MambaSettingsInput = Partial<Omit<MambaSettings, 'dtRank'>> & { dtRank?: number | 'auto' };

/** Fills the official defaults: dState 16, dConv 4, expand 2, dtRank ceil(dModel / 16). */
export function resolveMambaSettings(input: MambaSettingsInput | undefined, dModel: number): MambaSettings {
  const s = input ?? {};
  const out: MambaSettings = {
    dState: s.dState ?? 16,
    dConv: s.dConv ?? 4,
    expand: s.expand ?? 2,
    dtRank: s.dtRank === undefined || s.dtRank === 'auto' ? Math.ceil(dModel / 16) : s.dtRank,
  };
  for (const [k, v] of Object.entries(out)) {
    if (!Number.isFinite(v) || v <= 0) throw new KernelInputError(`mamba: setting ${k} = ${v} must be positive`);
  }
  for (const k of ['dState', 'dConv', 'dtRank'] as const) {
    if (!Number.isInteger(out[k])) throw new KernelInputError(`mamba: setting ${k} = ${out[k]} must be an integer`);
  }
  if (!Number.isInteger(out.expand * dModel)) throw new KernelInputError(`mamba: expand ${out.expand} · dModel ${dModel} is not an integer`);
  return out;
}

/** The weight shapes of one Mamba block, by official name (the cost model's table). */
export function mambaWeightShapes(settings: MambaSettings, dModel: number): Record<string, number[]> {
  return shapesOf(mambaWeights({ kind: 'mamba', ...settings }, dModel));
}

/**
 * Host weights initialized as the official Mamba module does: A_log = log(1..N) per channel, D = 1,
 * dt_proj.bias = softplus⁻¹(dt) with dt log-uniform in [0.001, 0.1] (floor 1e-4), dt_proj.weight uniform
 * ±R^-0.5, in/x/out projections as nn.Linear (uniform ±1/sqrt(fan_in)), conv1d as nn.Conv1d (weight and
 * bias uniform ±1/sqrt(W)). `rng` returns uniform [0, 1).
 */
export function initMambaWeights(settings: MambaSettings, dModel: number, rng: () => number): HostWeights {
  const shapes = mambaWeightShapes(settings, dModel);
  const { dState, dConv, dtRank } = settings;
  const dInner = settings.expand * dModel;
  const uniform = (shape: number[], bound: number) => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = (2 * rng() - 1) * bound;
    return { shape, data };
  };
  const dtMin = 0.001;
  const dtMax = 0.1;
  const dtFloor = 1e-4;
  const dtBias = new Float32Array(dInner);
  for (let d = 0; d < dInner; d++) {
    const dt = Math.max(Math.exp(rng() * (Math.log(dtMax) - Math.log(dtMin)) + Math.log(dtMin)), dtFloor);
    dtBias[d] = dt + Math.log(-Math.expm1(-dt)); // inverse of softplus
  }
  const aLog = new Float32Array(dInner * dState);
  for (let d = 0; d < dInner; d++) for (let n = 0; n < dState; n++) aLog[d * dState + n] = Math.log(n + 1);
  return {
    'in_proj.weight': uniform(shapes['in_proj.weight'], 1 / Math.sqrt(dModel)),
    'conv1d.weight': uniform(shapes['conv1d.weight'], 1 / Math.sqrt(dConv)),
    'conv1d.bias': uniform(shapes['conv1d.bias'], 1 / Math.sqrt(dConv)),
    'x_proj.weight': uniform(shapes['x_proj.weight'], 1 / Math.sqrt(dInner)),
    'dt_proj.weight': uniform(shapes['dt_proj.weight'], dtRank ** -0.5),
    'dt_proj.bias': { shape: shapes['dt_proj.bias'], data: dtBias },
    A_log: { shape: shapes.A_log, data: aLog },
    D: { shape: shapes.D, data: new Float32Array(dInner).fill(1) },
    'out_proj.weight': uniform(shapes['out_proj.weight'], 1 / Math.sqrt(dInner)),
  };
}

export interface MambaState extends BlockState {
  batch: number;
  /** (B, W - 1, Di): the last W - 1 conv inputs. */
  conv: Tensor;
  /** (B, Di, N). */
  ssm: Tensor;
}

export interface MambaBlockOptions {
  /** Selective-scan variant for prefill (default 'auto'). */
  scanVariant?: ScanVariant;
  /** How in_proj, x_proj and out_proj are stored (storage-format.ts; default 'f32'). */
  weightFormat?: WeightFormat;
}

export class MambaBlock implements SequenceBlock<MambaState> {
  readonly kind = 'mamba';
  readonly weights: Record<string, Tensor>;
  readonly dInner: number;
  private readonly xdblWidth: number;

  constructor(
    private readonly engine: Engine,
    readonly settings: MambaSettings,
    readonly dModel: number,
    host: HostWeights,
    private readonly options: MambaBlockOptions = {},
  ) {
    const shapes = mambaWeightShapes(settings, dModel);
    // conv1d.weight may come as (Di, W) as well as the official (Di, 1, W).
    checkBlockWeights('mamba', shapes, host, (name, given, shape) => name === 'conv1d.weight' && given.length === 2 && given[0] === shape[0] && given[1] === shape[2]);
    const { dState, dtRank } = settings;
    const dInner = settings.expand * dModel;
    this.dInner = dInner;
    this.xdblWidth = dtRank + 2 * dState;
    const up = (name: string, shape: number[] = shapes[name]) => uploadBlockWeight(engine, 'mamba', name, host[name].data, shape, options.weightFormat ?? 'f32');
    const A = Float32Array.from(host.A_log.data, (v) => -Math.exp(v));
    this.weights = {
      'in_proj.weight': up('in_proj.weight'),
      'conv1d.weight': up('conv1d.weight', [dInner, settings.dConv]),
      'conv1d.bias': up('conv1d.bias'),
      'x_proj.weight': up('x_proj.weight'),
      'dt_proj.weight': up('dt_proj.weight'),
      'scan.channels': engine.upload(packScanChannels(A, dInner, dState, host.D.data, host['dt_proj.bias'].data), [dInner, dState + 2], 'weights', 'mamba.scan.channels'),
      'out_proj.weight': up('out_proj.weight'),
    };
  }

  private checkInput(x: Tensor, what: string): [number, number] {
    if (x.shape.length !== 3 || x.shape[2] !== this.dModel) {
      throw new KernelInputError(`mamba ${what}: x ${shapeToString(x.shape)} must be (B, L, d) with d = ${this.dModel}`);
    }
    return [x.shape[0], x.shape[1]];
  }

  private checkState(state: MambaState, batch: number, what: string): void {
    if (state.batch !== batch) throw new KernelInputError(`mamba ${what}: state holds ${state.batch} sequences, x has batch ${batch}`);
    if (state.conv.isReleased || state.ssm.isReleased) throw new KernelInputError(`mamba ${what}: the state was released`);
  }

  forward(x: Tensor, state?: MambaState): Tensor {
    const [batch, seqLen] = this.checkInput(x, 'forward');
    if (state) this.checkState(state, batch, 'forward');
    const e = this.engine;
    const w = this.weights;
    const { dState, dtRank } = this.settings;
    const Di = this.dInner;
    const xz = matmul(e, x, w['in_proj.weight'], { transposeB: true, out: scratchShaped(e, 'mamba.xz', [batch, seqLen, 2 * Di], 'activations') });
    const u = causalConv1d(e, {
      x: xz,
      xLayout: { rowStride: 2 * Di, offset: 0 },
      channels: Di,
      weight: w['conv1d.weight'],
      bias: w['conv1d.bias'],
      activation: 'silu',
      convState: state?.conv,
      // A fresh state is zeros, so starting from it equals starting from nothing.
      useInitialState: Boolean(state),
      updateState: Boolean(state),
      out: scratchShaped(e, 'mamba.u', [batch, seqLen, Di], 'activations'),
    });
    const xdbl = matmul(e, u, w['x_proj.weight'], { transposeB: true, out: scratchShaped(e, 'mamba.xdbl', [batch, seqLen, this.xdblWidth], 'activations') });
    const delta = matmul(e, xdbl, w['dt_proj.weight'], { transposeB: true, aColumns: { offset: 0, count: dtRank }, out: scratchShaped(e, 'mamba.delta', [batch, seqLen, Di], 'activations') });
    const y = selectiveScan(e, {
      u,
      delta,
      channels: w['scan.channels'],
      bc: xdbl,
      bcLayout: { rowStride: this.xdblWidth, bOffset: dtRank, cOffset: dtRank + dState },
      z: xz,
      zLayout: { rowStride: 2 * Di, offset: Di },
      deltaSoftplus: true,
      // delta is this call's scratch, read by nothing after the scan: the scan may keep its step sizes there.
      deltaInPlace: true,
      state: state?.ssm,
      useInitialState: Boolean(state),
      writeFinalState: Boolean(state),
      variant: this.options.scanVariant ?? 'auto',
      out: scratchShaped(e, 'mamba.y', [batch, seqLen, Di], 'activations'),
    });
    const out = matmul(e, y, w['out_proj.weight'], { transposeB: true, label: 'mamba.out' });
    if (state) state.position += seqLen;
    return out;
  }

  createState(batch: number, capacity: number): MambaState {
    void capacity; // The Mamba state does not grow with the context.
    const { dConv, dState } = this.settings;
    const Di = this.dInner;
    const conv = this.engine.upload(new Float32Array(batch * (dConv - 1) * Di), [batch, dConv - 1, Di], 'cache', 'mamba.conv_state');
    const ssm = this.engine.upload(new Float32Array(batch * Di * dState), [batch, Di, dState], 'cache', 'mamba.ssm_state');
    return { position: 0, batch, conv, ssm, tensors: [conv, ssm] };
  }

  step(x: Tensor, state: MambaState): Tensor {
    const [batch] = this.checkStep(x, state, 'step');
    const out = this.engine.tensor([batch, 1, this.dModel], 'activations', 'mamba.step.out');
    this.decode(x, undefined, out, false, state);
    return out;
  }

  stepInto(residual: Tensor, norm: BlockNorm, state: MambaState): void {
    this.checkStep(residual, state, 'stepInto');
    this.decode(residual, norm, residual, true, state);
  }

  private checkStep(x: Tensor, state: MambaState, what: string): [number] {
    const [batch, seqLen] = this.checkInput(x, what);
    if (seqLen !== 1) throw new KernelInputError(`mamba ${what}: x ${shapeToString(x.shape)} must hold one token (B, 1, d)`);
    this.checkState(state, batch, what);
    return [batch];
  }

  /** The decode kernels: out (+)= block(norm?(x)). */
  private decode(x: Tensor, norm: BlockNorm | undefined, out: Tensor, accumulate: boolean, state: MambaState): void {
    const e = this.engine;
    const w = this.weights;
    const batch = x.shape[0];
    const { dState, dtRank } = this.settings;
    const Di = this.dInner;
    const uz = mambaInProjStep(e, {
      x,
      norm,
      inProj: w['in_proj.weight'],
      convWeight: w['conv1d.weight'],
      convBias: w['conv1d.bias'],
      convState: state.conv,
      out: scratchShaped(e, 'mamba.step.uz', [batch, 1, 2 * Di], 'activations'),
    });
    const xdbl = gemv(e, { a: uz, weights: [w['x_proj.weight']], aColumns: { offset: 0, count: Di }, out: scratchShaped(e, 'mamba.step.xdbl', [batch, 1, this.xdblWidth], 'activations') });
    const y = selectiveStateUpdate(e, {
      state: state.ssm,
      x: uz,
      xLayout: { rowStride: 2 * Di, offset: 0 },
      dt: w['dt_proj.weight'],
      dtProjection: { rank: dtRank },
      channels: w['scan.channels'],
      bc: xdbl,
      bcLayout: { rowStride: this.xdblWidth, bOffset: dtRank, cOffset: dtRank + dState },
      z: uz,
      zLayout: { rowStride: 2 * Di, offset: Di },
      dtSoftplus: true,
      out: scratchShaped(e, 'mamba.step.y', [batch, 1, Di], 'activations'),
    });
    gemv(e, { a: y, weights: [w['out_proj.weight']], out, accumulate });
    state.position += 1;
  }

  release(): void {
    for (const t of Object.values(this.weights)) t.release();
  }
}

export const createMambaBlock: BlockFactory<MambaSettingsInput | MambaSettings, MambaState> = (engine, settings, dModel, weights, storage) =>
  new MambaBlock(engine, resolveMambaSettings(settings, dModel), dModel, weights, { weightFormat: storage?.weights });
