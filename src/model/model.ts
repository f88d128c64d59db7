// A whole model on the engine: embedding -> layers [RMSNorm -> mixer -> +residual][RMSNorm -> MLP ->
// +residual] -> final RMSNorm -> lm_head. Prefill runs B×L tokens; decode runs one token per sequence
// against the blocks' state (KV caches, conv and SSM states, GLA states), counted as 'cache'.
// Dimensions: B batch, L tokens per sequence, d = dModel, V = vocabSize.

import type { Engine } from '../engine/engine';
import { KernelInputError } from '../engine/errors';
import type { Tensor } from '../engine/tensor';
import { binary } from '../kernels/elementwise';
import { embedding } from '../kernels/embedding';
import { matmul } from '../kernels/matmul';
import { rmsnorm } from '../kernels/rmsnorm';
import type { ModelConfig } from './config';
import type { BlockState, HostWeights, SequenceBlock } from './mixer';
import { mixerSpec, mlpSpec } from './block-registry';
import { blockWeights, checkWeights, initLayerWeights, initOuterWeights, layerPrefix } from './weights';

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
    const up = (name: string) => engine.upload(w[name].data, w[name].shape, 'weights', name);
    const embed = up('backbone.embedding.weight');
    return { embed, lmHead: config.tiedEmbeddings ? embed : up('lm_head.weight'), normF: up('backbone.norm_f.weight') };
  }

  private static buildLayer(engine: Engine, config: ModelConfig, i: number, w: HostWeights): GpuLayer {
    const layer = config.layers[i];
    const p = layerPrefix(i);
    const up = (name: string) => engine.upload(w[name].data, w[name].shape, 'weights', name);
    return {
      norm: layer.mixer ? up(`${p}norm.weight`) : null,
      mixer: layer.mixer ? mixerSpec(layer.mixer).create(engine, layer.mixer as never, config.dModel, blockWeights(w, `${p}mixer.`)) : null,
      norm2: layer.mlp ? up(`${p}norm2.weight`) : null,
      mlp: layer.mlp ? mlpSpec.create(engine, layer.mlp, config.dModel, blockWeights(w, `${p}mlp.`)) : null,
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
    const logits = this.run(ids, state.batch, 1, state, false, true);
    state.position += 1;
    return logits;
  }

  private run(ids: ArrayLike<number>, batch: number, seqLen: number, state: ModelState | undefined, allLogits: boolean, decode = false): Tensor {
    const e = this.engine;
    const V = this.config.vocabSize;
    for (let i = 0; i < ids.length; i++) {
      if (!Number.isInteger(ids[i]) || ids[i] < 0 || ids[i] >= V) throw new KernelInputError(`token id ${ids[i]} at ${i} is outside the vocabulary of ${V}`);
    }
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
        const y = decode ? block.step(h, blockState!) : block.forward(h, blockState ?? undefined);
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
