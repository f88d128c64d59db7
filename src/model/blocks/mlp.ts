// The SwiGLU MLP block (Llama's MLP), the sub-layer alone: out = down(silu(gate(x)) · up(x)).
// Dimensions: B batch, L seqLen, d = dModel, F = hidden.
// Weights: gate_proj.weight (F, d), up_proj.weight (F, d), down_proj.weight (d, F); no biases.
// Stateless: the state holds no tensors. Per decode token, 2 dispatches: [pre-norm (stepInto) + gate|up
// projections] -> (B, 1, 2F); [silu(gate)·up as the down projection's input, added into the residual
// stream by stepInto].

import type { Engine } from '../../engine/engine';
import { KernelInputError } from '../../engine/errors';
import { mlpWeights } from '../cost-model';
import { checkBlockWeights, shapesOf, uploadBlockWeight } from './block-weights';
import type { WeightFormat } from '../storage-format';
import { Tensor, shapeToString } from '../../engine/tensor';
import { gemv, matmul } from '../../kernels/matmul';
import { binary } from '../../kernels/elementwise';
import { scratchShaped } from '../../kernels/scratch-pool';
import { matmulRef, silu } from '../../reference/basic';
import type { BlockFactory, BlockNorm, BlockState, HostWeights, SequenceBlock } from '../mixer';

export interface MlpBlockSettings {
  /** F: hidden width. */
  hidden: number;
}

export function mlpWeightShapes(settings: MlpBlockSettings, dModel: number): Record<string, number[]> {
  const F = settings.hidden;
  if (!Number.isInteger(F) || F <= 0) throw new KernelInputError(`mlp: hidden ${F} must be a positive integer`);
  return shapesOf(mlpWeights({ kind: 'swiglu', hidden: F }, dModel));
}

/** nn.Linear's default initialization (as Llama's modules start): uniform ±1/sqrt(fan_in). `rng` uniform [0, 1). */
export function initMlpWeights(settings: MlpBlockSettings, dModel: number, rng: () => number): HostWeights {
  const out: HostWeights = {};
  for (const [name, shape] of Object.entries(mlpWeightShapes(settings, dModel))) {
    const bound = 1 / Math.sqrt(shape[1]);
    const data = new Float32Array(shape[0] * shape[1]);
    for (let i = 0; i < data.length; i++) data[i] = (2 * rng() - 1) * bound;
    out[name] = { shape, data };
  }
  return out;
}

export class MlpBlock implements SequenceBlock<BlockState> {
  readonly kind = 'mlp';
  readonly weights: Record<string, Tensor>;

  constructor(
    private readonly engine: Engine,
    readonly settings: MlpBlockSettings,
    readonly dModel: number,
    host: HostWeights,
    format: WeightFormat = 'f32',
  ) {
    this.weights = {};
    const shapes = mlpWeightShapes(settings, dModel);
    checkBlockWeights('mlp', shapes, host);
    for (const [name, shape] of Object.entries(shapes)) this.weights[name] = uploadBlockWeight(engine, 'mlp', name, host[name].data, shape, format);
  }

  forward(x: Tensor, state?: BlockState): Tensor {
    if (x.shape.length !== 3 || x.shape[2] !== this.dModel) throw new KernelInputError(`mlp: x ${shapeToString(x.shape)} must be (B, L, d) with d = ${this.dModel}`);
    const [B, L] = x.shape;
    const F = this.settings.hidden;
    const e = this.engine;
    const w = this.weights;
    const g = matmul(e, x, w['gate_proj.weight'], { transposeB: true, out: scratchShaped(e, 'mlp.gate', [B, L, F], 'activations') });
    const u = matmul(e, x, w['up_proj.weight'], { transposeB: true, out: scratchShaped(e, 'mlp.up', [B, L, F], 'activations') });
    const h = binary(e, 'mulSilu', u, g, { out: scratchShaped(e, 'mlp.hidden', [B, L, F], 'activations') });
    if (state) state.position += L;
    return matmul(e, h, w['down_proj.weight'], { transposeB: true, label: 'mlp.out' });
  }

  step(x: Tensor, state: BlockState): Tensor {
    this.checkStep(x, 'step');
    const out = this.engine.tensor([x.shape[0], 1, this.dModel], 'activations', 'mlp.step.out');
    this.decode(x, undefined, out, false, state);
    return out;
  }

  stepInto(residual: Tensor, norm: BlockNorm, state: BlockState): void {
    this.checkStep(residual, 'stepInto');
    this.decode(residual, norm, residual, true, state);
  }

  private checkStep(x: Tensor, what: string): void {
    if (x.shape.length !== 3 || x.shape[1] !== 1 || x.shape[2] !== this.dModel) {
      throw new KernelInputError(`mlp ${what}: x ${shapeToString(x.shape)} must hold one token (B, 1, d) with d = ${this.dModel}`);
    }
  }

  /** The decode kernels: out (+)= down(silu(gate(h))·up(h)), h = norm?(x). */
  private decode(x: Tensor, norm: BlockNorm | undefined, out: Tensor, accumulate: boolean, state: BlockState): void {
    const e = this.engine;
    const w = this.weights;
    const F = this.settings.hidden;
    const gu = gemv(e, { a: x, weights: [w['gate_proj.weight'], w['up_proj.weight']], norm, out: scratchShaped(e, 'mlp.step.gate_up', [x.shape[0], 1, 2 * F], 'activations') });
    gemv(e, { a: gu, weights: [w['down_proj.weight']], swiglu: true, out, accumulate });
    state.position += 1;
  }

  createState(batch: number, capacity: number): BlockState {
    void batch;
    void capacity;
    return { position: 0, tensors: [] };
  }

  release(): void {
    for (const t of Object.values(this.weights)) t.release();
  }
}

export const createMlpBlock: BlockFactory<MlpBlockSettings> = (engine, settings, dModel, weights, storage) => new MlpBlock(engine, settings, dModel, weights, storage?.weights);

/** Float64 forward: x (B, L, d) -> (B, L, d). */
export function mlpBlockRef(settings: MlpBlockSettings, dModel: number, w: HostWeights, x: Float64Array, batch: number, seqLen: number): Float64Array {
  const F = settings.hidden;
  const T = batch * seqLen;
  const g = matmulRef(x, w['gate_proj.weight'].data, 1, T, dModel, F, true);
  const u = matmulRef(x, w['up_proj.weight'].data, 1, T, dModel, F, true);
  const h = u.map((v, i) => v * silu(g[i]));
  return matmulRef(h, w['down_proj.weight'].data, 1, T, F, dModel, true);
}
