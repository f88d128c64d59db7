// A whole model on the engine: embedding -> layers [RMSNorm -> mixer -> +residual][RMSNorm -> MLP ->
// +residual] -> final RMSNorm -> lm_head. Prefill runs B×L tokens; decode runs one token per sequence
// against the blocks' state (KV caches, conv and SSM states, GLA states), counted as 'cache'.
// Decode keeps one residual stream (B, 1, d) that each block updates in place (SequenceBlock.stepInto:
// pre-norm fused into its first projection, residual add into its last), and the final norm is fused into
// the lm_head gemv. Greedy decoding can stay on the GPU (stepGreedy, generateGreedy): an argmax kernel
// writes the next token id where the next step's embedding reads it, so tokens are submitted back to back
// without a read-back per token.
// Every model can capture one greedy step and replay it (captureGreedyStep, replayGreedyStep,
// generateGreedyReplay): a replayed token runs no block or kernel code, only the captured WebGPU calls.
// Mamba, GLA and MLP steps are the same every token; attention's decode uniforms that carry the position
// (RoPE position, KV-cache append index, attended length) are declared positional by its kernels and
// rewritten per replay (Engine.replay with { position }), one small uniform write per token.
// Dimensions: B batch, L tokens per sequence, d = dModel, V = vocabSize.

import type { CapturedWork, Engine } from '../engine/engine';
import { KernelInputError } from '../engine/errors';
import type { Tensor } from '../engine/tensor';
import { binary } from '../kernels/elementwise';
import { embedding } from '../kernels/embedding';
import { gemv, matmul } from '../kernels/matmul';
import { rmsnorm } from '../kernels/rmsnorm';
import { argmax } from '../kernels/argmax';
import { scratchShaped } from '../kernels/scratch-pool';
import type { ModelConfig } from './config';
import type { BlockState, HostWeights, SequenceBlock } from './mixer';
import { mixerSpec, mlpSpec } from './block-registry';
import { blockWeights, checkWeights, initLayerWeights, initOuterWeights, layerPrefix } from './weights';
import { uploadWeight } from './storage-format';

interface GpuLayer {
  norm: Tensor | null;
  mixer: SequenceBlock | null;
  norm2: Tensor | null;
  mlp: SequenceBlock | null;
}

export interface ModelState {
  batch: number;
  capacity: number;
  position: number;
  /** Per layer: the mixer's state and the MLP's (stateless, but kept for symmetry). */
  layers: { mixer: BlockState | null; mlp: BlockState | null }[];
}

/** Whether a model's greedy decode step can be captured and replayed, and why not. */
export type ReplayDecodeSupport = { ok: true } | { ok: false; reason: string };

/**
 * One captured greedy decode step of `state`, reading and writing the token ids in `ids`
 * (GpuModel.captureGreedyStep). Replay it with GpuModel.replayGreedyStep; release it when done (it pins the
 * buffers it binds: the state, the ids, the weights and the decode scratch buffers).
 */
export interface CapturedGreedyStep {
  readonly work: CapturedWork;
  readonly state: ModelState;
  readonly ids: Tensor;
  /** Dispatches per replayed token. */
  readonly dispatches: number;
  release(): void;
}

/** One replayed token of a block's state. */
function advanceOne(s: BlockState): void {
  if (s.advance) s.advance(1);
  else s.position += 1;
}

export class GpuModel {
  private constructor(
    readonly engine: Engine,
    readonly config: ModelConfig,
    private readonly embed: Tensor,
    private readonly lmHead: Tensor,
    private readonly normF: Tensor,
    private readonly layers: GpuLayer[],
  ) {}

  /** Uploads `weights` (checked against the config: names and shapes) and builds every block. */
  static create(engine: Engine, config: ModelConfig, weights: HostWeights): GpuModel {
    const w = checkWeights(config, weights);
    const outer = GpuModel.uploadOuter(engine, config, w);
    const layers = config.layers.map((_, i) => GpuModel.buildLayer(engine, config, i, w));
    return new GpuModel(engine, config, outer.embed, outer.lmHead, outer.normF, layers);
  }

  /**
   * Seeded random weights (initModelWeights' values), made and uploaded one layer at a time so the host
   * never holds the whole model, pausing between layers so a page stays responsive.
   */
  static async createSeeded(engine: Engine, config: ModelConfig, seed: number, pause: () => Promise<void> = () => Promise.resolve()): Promise<GpuModel> {
    const outer = GpuModel.uploadOuter(engine, config, initOuterWeights(config, seed));
    const layers: GpuLayer[] = [];
    try {
      for (let i = 0; i < config.layers.length; i++) {
        await pause();
        layers.push(GpuModel.buildLayer(engine, config, i, initLayerWeights(config, i, seed)));
      }
    } catch (e) {
      new GpuModel(engine, config, outer.embed, outer.lmHead, outer.normF, layers).release();
      throw e;
    }
    return new GpuModel(engine, config, outer.embed, outer.lmHead, outer.normF, layers);
  }

  private static uploadOuter(engine: Engine, config: ModelConfig, w: HostWeights) {
    const up = (name: string) => uploadWeight(engine, name, w[name].data, w[name].shape, config.weightFormat);
    const embed = up('backbone.embedding.weight');
    return { embed, lmHead: config.tiedEmbeddings ? embed : up('lm_head.weight'), normF: up('backbone.norm_f.weight') };
  }

  private static buildLayer(engine: Engine, config: ModelConfig, i: number, w: HostWeights): GpuLayer {
    const layer = config.layers[i];
    const p = layerPrefix(i);
    const up = (name: string) => engine.upload(w[name].data, w[name].shape, 'weights', name);
    const storage = { weights: config.weightFormat, kvCache: config.kvCacheFormat };
    return {
      norm: layer.mixer ? up(`${p}norm.weight`) : null,
      mixer: layer.mixer ? mixerSpec(layer.mixer).create(engine, layer.mixer as never, config.dModel, blockWeights(w, `${p}mixer.`), storage) : null,
      norm2: layer.mlp ? up(`${p}norm2.weight`) : null,
      mlp: layer.mlp ? mlpSpec.create(engine, layer.mlp, config.dModel, blockWeights(w, `${p}mlp.`), storage) : null,
    };
  }

  /** Empty decode state for `batch` sequences of up to `capacity` tokens. */
  createState(batch: number, capacity: number): ModelState {
    return {
      batch,
      capacity,
      position: 0,
      layers: this.layers.map((l) => ({ mixer: l.mixer?.createState(batch, capacity) ?? null, mlp: l.mlp?.createState(batch, capacity) ?? null })),
    };
  }

  releaseState(state: ModelState): void {
    for (const l of state.layers) for (const s of [l.mixer, l.mlp]) s?.tensors.forEach((t) => t.release());
  }

  /**
   * Prefill: ids (B·L token ids, row-major) -> logits (B, 1, V) of the last position, or (B, L, V) with
   * allLogits. With `state`, the blocks fill it so that step() continues these sequences.
   */
  forward(ids: ArrayLike<number>, batch: number, seqLen: number, opts: { state?: ModelState; allLogits?: boolean } = {}): Tensor {
    if (ids.length !== batch * seqLen) throw new KernelInputError(`forward: ${ids.length} token ids for batch ${batch} × length ${seqLen}`);
    if (opts.state && opts.state.position + seqLen > opts.state.capacity) {
      throw new KernelInputError(`forward: ${opts.state.position + seqLen} tokens exceed the state's capacity of ${opts.state.capacity}`);
    }
    const logits = this.run(ids, batch, seqLen, opts.state, opts.allLogits ?? false);
    if (opts.state) opts.state.position += seqLen;
    return logits;
  }

  /** Decode: one token per sequence (B ids) -> logits (B, 1, V), advancing the state. */
  step(ids: ArrayLike<number>, state: ModelState): Tensor {
    if (ids.length !== state.batch) throw new KernelInputError(`step: ${ids.length} token ids for batch ${state.batch}`);
    if (state.position + 1 > state.capacity) throw new KernelInputError(`step: context ${state.position + 1} exceeds the state's capacity of ${state.capacity}`);
    this.checkIds(ids);
    const idT = this.engine.uploadU32(ids, [state.batch, 1], 'activations', 'ids');
    const logits = this.decode(idT, state, this.engine.tensor([state.batch, 1, this.config.vocabSize], 'activations', 'logits'));
    idT.release();
    return logits;
  }

  /**
   * Greedy decode step on the GPU: reads the token ids in `ids` (a u32 tensor of B values, e.g. from
   * uploadU32 or the previous stepGreedy), runs one step and writes the argmax of its logits back into
   * `ids`; with `history`, also into column `history.index` of that (B, columns) u32 tensor. Records the
   * dispatches only (no submit, no read-back), so steps can be submitted back to back.
   */
  stepGreedy(state: ModelState, ids: Tensor, history?: { tensor: Tensor; index: number }): void {
    if (ids.dtype !== 'u32' || ids.numel !== state.batch) throw new KernelInputError(`stepGreedy: ids ${ids} must be a u32 tensor of B = ${state.batch} token ids`);
    const logits = this.decode(ids, state, scratchShaped(this.engine, 'model.step.logits', [state.batch, 1, this.config.vocabSize], 'activations'));
    argmax(this.engine, logits, { out: ids, history });
  }

  /**
   * Greedy generation on the GPU: from the last token of each sequence (B ids), `steps` tokens per sequence,
   * each step submitted as soon as it is recorded and one read-back at the end. Returns the tokens (B × steps).
   */
  async generateGreedy(state: ModelState, lastIds: ArrayLike<number>, steps: number): Promise<number[][]> {
    if (lastIds.length !== state.batch) throw new KernelInputError(`generateGreedy: ${lastIds.length} token ids for batch ${state.batch}`);
    if (!Number.isInteger(steps) || steps < 1) throw new KernelInputError(`generateGreedy: steps ${steps} must be a positive integer`);
    if (state.position + steps > state.capacity) throw new KernelInputError(`generateGreedy: context ${state.position + steps} exceeds the state's capacity of ${state.capacity}`);
    this.checkIds(lastIds);
    const e = this.engine;
    const ids = e.uploadU32(lastIds, [state.batch], 'activations', 'greedy.ids');
    const history = e.uploadU32(new Uint32Array(state.batch * steps), [state.batch, steps], 'activations', 'greedy.tokens');
    try {
      for (let i = 0; i < steps; i++) {
        this.stepGreedy(state, ids, { tensor: history, index: i });
        e.submit();
      }
      const bits = new Uint32Array((await e.read(history)).buffer);
      return Array.from({ length: state.batch }, (_, b) => Array.from(bits.subarray(b * steps, (b + 1) * steps)));
    } finally {
      ids.release();
      history.release();
    }
  }

  /**
   * Whether a greedy step can be captured and replayed. Every block kind can: Mamba, GLA and MLP steps do
   * not change between tokens, and attention's position-dependent uniforms are rewritten per replay.
   */
  canReplayDecode(): ReplayDecodeSupport {
    return { ok: true };
  }

  /**
   * Records one greedy step exactly as stepGreedy does (it runs at the next submit and advances the state
   * by one token) and captures its dispatches, so that replayGreedyStep can repeat it for the following
   * tokens: the argmax writes the next id into `ids`, which the embedding reads on the next replay.
   */
  captureGreedyStep(state: ModelState, ids: Tensor): CapturedGreedyStep {
    const support = this.canReplayDecode();
    if (!support.ok) throw new KernelInputError(`captureGreedyStep: ${support.reason}`);
    if (state.position + 1 > state.capacity) throw new KernelInputError(`captureGreedyStep: context ${state.position + 1} exceeds the state's capacity of ${state.capacity}`);
    const { work } = this.engine.capture(() => this.stepGreedy(state, ids), { position: state.position });
    return { work, state, ids, dispatches: work.dispatchCount, release: () => work.release() };
  }

  /**
   * Appends one replay of a captured greedy step to the current batch (no submit) and advances its state
   * by one token, as stepGreedy would.
   */
  replayGreedyStep(step: CapturedGreedyStep): void {
    const state = step.state;
    if (step.work.isReleased) throw new KernelInputError(`replayGreedyStep: the captured step was released; capture it again`);
    if (state.position + 1 > state.capacity) throw new KernelInputError(`replayGreedyStep: context ${state.position + 1} exceeds the state's capacity of ${state.capacity}`);
    if (step.ids.isReleased) throw new KernelInputError('replayGreedyStep: the ids tensor was released');
    const layers = state.layers;
    for (let i = 0; i < layers.length; i++) {
      const m = layers[i].mixer;
      if (m && m.tensors.some((t) => t.isReleased)) throw new KernelInputError('replayGreedyStep: the state was released');
    }
    this.engine.replay(step.work, { position: state.position });
    state.position += 1;
    for (let i = 0; i < layers.length; i++) {
      const l = layers[i];
      if (l.mixer) advanceOne(l.mixer);
      if (l.mlp) advanceOne(l.mlp);
    }
  }

  /**
   * generateGreedy through a captured step: the first token is recorded by the model's code and captured,
   * the rest are replays, each submitted as soon as it is appended, with its id copied into the history
   * after the pass; one read-back at the end. Returns the tokens (B × steps). Needs canReplayDecode().
   */
  async generateGreedyReplay(state: ModelState, lastIds: ArrayLike<number>, steps: number): Promise<number[][]> {
    if (lastIds.length !== state.batch) throw new KernelInputError(`generateGreedyReplay: ${lastIds.length} token ids for batch ${state.batch}`);
    if (!Number.isInteger(steps) || steps < 1) throw new KernelInputError(`generateGreedyReplay: steps ${steps} must be a positive integer`);
    if (state.position + steps > state.capacity) throw new KernelInputError(`generateGreedyReplay: context ${state.position + steps} exceeds the state's capacity of ${state.capacity}`);
    const support = this.canReplayDecode();
    if (!support.ok) throw new KernelInputError(`generateGreedyReplay: ${support.reason}`);
    this.checkIds(lastIds);
    const e = this.engine;
    const B = state.batch;
    const ids = e.uploadU32(lastIds, [B], 'activations', 'greedy.ids');
    // (steps, B): token i of every sequence is one contiguous copy.
    const history = e.uploadU32(new Uint32Array(B * steps), [steps, B], 'activations', 'greedy.tokens');
    let captured: CapturedGreedyStep | null = null;
    try {
      captured = this.captureGreedyStep(state, ids);
      for (let i = 0; i < steps; i++) {
        if (i > 0) this.replayGreedyStep(captured);
        e.copyAfterDispatches(ids, 0, history, i * B * 4, B * 4);
        e.submit();
      }
      const bits = new Uint32Array((await e.read(history)).buffer);
      return Array.from({ length: B }, (_, b) => Array.from({ length: steps }, (_, i) => bits[i * B + b]));
    } finally {
      captured?.release();
      ids.release();
      history.release();
    }
  }

  private checkIds(ids: ArrayLike<number>): void {
    const V = this.config.vocabSize;
    for (let i = 0; i < ids.length; i++) {
      if (!Number.isInteger(ids[i]) || ids[i] < 0 || ids[i] >= V) throw new KernelInputError(`token id ${ids[i]} at ${i} is outside the vocabulary of ${V}`);
    }
  }

  /**
   * One decode step from token ids on the GPU (B u32) into `logits` (B, 1, V): embedding into the residual
   * stream, every block's stepInto, final norm fused into the lm_head. Advances the state.
   */
  private decode(ids: Tensor, state: ModelState, logits: Tensor): Tensor {
    if (state.position + 1 > state.capacity) throw new KernelInputError(`step: context ${state.position + 1} exceeds the state's capacity of ${state.capacity}`);
    const e = this.engine;
    const eps = this.config.normEps;
    const x = embedding(e, ids, this.embed, { out: scratchShaped(e, 'model.step.residual', [state.batch, 1, this.config.dModel], 'activations') });
    this.layers.forEach((layer, i) => {
      if (layer.mixer && layer.norm) layer.mixer.stepInto(x, { weight: layer.norm, eps }, state.layers[i].mixer!);
      if (layer.mlp && layer.norm2) layer.mlp.stepInto(x, { weight: layer.norm2, eps }, state.layers[i].mlp!);
    });
    state.position += 1;
    return gemv(e, { a: x, weights: [this.lmHead], norm: { weight: this.normF, eps }, out: logits });
  }

  private run(ids: ArrayLike<number>, batch: number, seqLen: number, state: ModelState | undefined, allLogits: boolean): Tensor {
    const e = this.engine;
    this.checkIds(ids);
    const idT = e.uploadU32(ids, [batch, seqLen], 'activations', 'ids');
    let x = embedding(e, idT, this.embed, { label: 'residual' });
    idT.release();
    const eps = this.config.normEps;
    this.layers.forEach((layer, i) => {
      const sub: [Tensor | null, SequenceBlock | null, BlockState | null][] = [
        [layer.norm, layer.mixer, state?.layers[i].mixer ?? null],
        [layer.norm2, layer.mlp, state?.layers[i].mlp ?? null],
      ];
      for (const [norm, block, blockState] of sub) {
        if (!norm || !block) continue;
        const h = rmsnorm(e, x, norm, eps, { label: 'normed' });
        const y = block.forward(h, blockState ?? undefined);
        h.release();
        const next = binary(e, 'add', x, y, { label: 'residual' });
        x.release();
        y.release();
        x = next;
      }
    });
    let hidden = x;
    if (!allLogits && seqLen > 1) {
      // Only the last position of each sequence feeds the lm_head, as generation does.
      const lastRows = Array.from({ length: batch }, (_, b) => b * seqLen + seqLen - 1);
      const rowIds = e.uploadU32(lastRows, [batch, 1], 'activations', 'last-rows');
      hidden = embedding(e, rowIds, x.view([batch * seqLen, this.config.dModel]), { label: 'last-hidden' });
      rowIds.release();
      x.release();
    }
    const normed = rmsnorm(e, hidden, this.normF, eps, { label: 'final-normed' });
    hidden.release();
    const logits = matmul(e, normed, this.lmHead, { transposeB: true, label: 'logits' });
    normed.release();
    return logits;
  }

  release(): void {
    this.embed.release();
    if (this.lmHead !== this.embed) this.lmHead.release();
    this.normF.release();
    for (const l of this.layers) {
      l.norm?.release();
      l.norm2?.release();
      l.mixer?.release();
      l.mlp?.release();
    }
  }
}
