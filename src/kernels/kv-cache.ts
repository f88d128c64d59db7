// KV cache: K and V tensors (B, Hkv, capacity, E) counted as 'cache', of which the first `length`
// positions are valid. Stored as float32 or as fp16 halves (format 'f16': half the bytes; the append kernels
// write each element pair as one u32, rounded, and every attention kernel reads halves through
// storage-read.ts). E is even (RoPE rotates pairs; an element pair is one word of an fp16 cache).
// append() copies L new positions (any head view, usually the (B, L, Hkv·E) projection outputs) at the
// current length; keys()/values() are the valid prefixes as head views for attention(),
// whose bottom-right causal alignment lets L new queries (one when decoding) attend the whole cache. A single
// decode query goes through the split-K decode kernel (the cache's keys split over many workgroups).
// appendRoped() is the decode path's append: from one token's fused [q | k | v | gate] projection it rotates
// q and k (RoPE) and writes k, v into the cache, q and the gate to their own tensors, in one dispatch.
// Replay: the append index (and RoPE position) is a positional uniform field of both append kernels, and
// attend() marks the keys as growing (attention's S positional), so a decode step captured at one length
// replays at the following ones (Engine.capture/replay with { position }); advance() then records the
// positions that replayed work appended.

import source from '../../shaders/kv_cache_append.wgsl?raw';
import ropeAppendSource from '../../shaders/rope_kv_append.wgsl?raw';
import ropeCommonSource from '../../shaders/rope_common.wgsl?raw';
import type { Engine } from '../engine/engine';
import { grid1d } from '../engine/engine';
import { KernelInputError } from '../engine/errors';
import { shapeToString, type Tensor } from '../engine/tensor';
import { defineUniforms } from '../engine/uniforms';
import { halfStoreWgsl, type StorageFormat } from './storage-read';
import { attention, headsFirst, prefixView, type AttentionOptions, type HeadView } from './attention';

const PARAMS = defineUniforms([
  ['B', 'u32'],
  ['H', 'u32'],
  ['L', 'u32'],
  ['E', 'u32'],
  ['capacity', 'u32'],
  ['offset', 'u32'],
  ['sB', 'u32'],
  ['sH', 'u32'],
  ['sL', 'u32'],
] as const);

const ROPE_APPEND_PARAMS = defineUniforms([
  ['B', 'u32'],
  ['H', 'u32'],
  ['Hkv', 'u32'],
  ['E', 'u32'],
  ['G', 'u32'],
  ['capacity', 'u32'],
  ['offset', 'u32'],
  ['log2Base', 'f32'],
] as const);

const WG = 256;
const APPEND_OFFSET = [PARAMS.offsetOf('offset')];
const ROPE_APPEND_OFFSET = [ROPE_APPEND_PARAMS.offsetOf('offset')];

export interface RopedAppendArgs {
  /** One token per sequence: (B, 1, (H + 2·Hkv)·E + G) = [q | k | v | gate]. */
  src: Tensor;
  /** Query heads H. */
  heads: number;
  /** RoPE base. */
  base: number;
  /** Receives q rotated: (B, 1, H·E). */
  q: Tensor;
  /** Receives the gate columns (B, 1, G) when G > 0; with G = 0 it is not written (any spare tensor). */
  gate: Tensor;
  /** Gate columns G (0: none). */
  gateWidth: number;
}

/** Copies `src` (B, Hkv, L, E) into `cache` (B, Hkv, capacity, E) at positions offset .. offset + L - 1. */
export function kvCacheWrite(engine: Engine, cache: Tensor, src: HeadView, offset: number): void {
  const [B, H, capacity, E] = cache.shape;
  if (src.batch !== B || src.heads !== H || src.dim !== E) {
    throw new KernelInputError(`kv cache: new entries (B=${src.batch}, heads=${src.heads}, E=${src.dim}) do not match cache ${cache}`);
  }
  const L = src.length;
  if (E % 2 !== 0) throw new KernelInputError(`kv cache: head dim ${E} of ${cache} must be even`);
  if (src.tensor.dtype !== 'f32') throw new KernelInputError(`kv cache: new entries ${src.tensor} must be float32`);
  if (offset + L > capacity) {
    throw new KernelInputError(`kv cache: appending ${L} positions at ${offset} exceeds ${cache}'s capacity of ${capacity}`);
  }
  const n = (B * H * L * E) / 2;
  if (n === 0) return;
  const format = cacheFormat(cache);
  const pipeline = engine.pipeline(`kv_cache_append:${format}`, () => ({ code: PARAMS.wgsl() + halfStoreWgsl(2, 'Cache', 'cache_put', format) + source, constants: { WG } }));
  engine.dispatch(
    () => `kv_cache_append(B=${B}, Hkv=${H}, L=${L}, E=${E}, at=${offset})`,
    pipeline,
    [src.tensor, cache],
    grid1d(Math.ceil(n / WG), engine.report.limits.maxComputeWorkgroupsPerDimension),
    PARAMS.pack({ B, H, L, E, capacity, offset, sB: src.strides.batch, sH: src.strides.head, sL: src.strides.pos }),
    APPEND_OFFSET,
  );
}

function cacheFormat(cache: Tensor): StorageFormat {
  if (cache.dtype === 'u32') throw new KernelInputError(`kv cache: ${cache} holds u32 values; a cache is f32 or f16`);
  return cache.dtype;
}

export class KvCache {
  /** Valid positions (tokens appended so far). */
  length = 0;
  private constructor(
    private readonly engine: Engine,
    readonly k: Tensor,
    readonly v: Tensor,
  ) {}

  /**
   * An empty cache of B sequences, Hkv heads, `capacity` positions, head dim E (even): 2·B·Hkv·capacity·E·4
   * bytes, or ·2 in format 'f16'.
   */
  static create(engine: Engine, batch: number, kvHeads: number, capacity: number, headDim: number, label = 'kv', format: StorageFormat = 'f32'): KvCache {
    if (headDim % 2 !== 0) throw new KernelInputError(`kv cache: head dim ${headDim} must be even`);
    const shape = [batch, kvHeads, capacity, headDim];
    return new KvCache(engine, engine.tensor(shape, 'cache', `${label}.k`, format), engine.tensor(shape, 'cache', `${label}.v`, format));
  }

  /** How keys and values are stored: 'f32' or 'f16'. */
  get format(): StorageFormat {
    return cacheFormat(this.k);
  }

  get capacity(): number {
    return this.k.shape[2];
  }

  get tensors(): Tensor[] {
    return [this.k, this.v];
  }

  /** Appends L positions of keys and values (head views with the cache's batch, heads and head dim). */
  append(kNew: HeadView, vNew: HeadView): void {
    if (kNew.length !== vNew.length) throw new KernelInputError(`kv cache: ${kNew.length} new keys but ${vNew.length} new values`);
    kvCacheWrite(this.engine, this.k, kNew, this.length);
    kvCacheWrite(this.engine, this.v, vNew, this.length);
    this.length += kNew.length;
  }

  keys(): HeadView {
    return prefixView(headsFirst(this.k), this.length);
  }

  values(): HeadView {
    return prefixView(headsFirst(this.v), this.length);
  }

  /**
   * Decode append of one token from its fused projection (see RopedAppendArgs), at position `length`:
   * q and k rotated for that position, k and v into the cache, q and the gate out. One dispatch.
   */
  appendRoped(a: RopedAppendArgs): void {
    const [B, Hkv, capacity, E] = this.k.shape;
    const { heads: H, gateWidth: G } = a;
    const width = (H + 2 * Hkv) * E + G;
    if (a.src.numel !== B * width) throw new KernelInputError(`kv cache: ${a.src.label} ${shapeToString(a.src.shape)} must hold B = ${B} rows of (H + 2·Hkv)·E + G = ${width}`);
    if (a.q.numel !== B * H * E) throw new KernelInputError(`kv cache: q ${shapeToString(a.q.shape)} must hold (B, H·E) = (${B}, ${H * E})`);
    if (G > 0 && a.gate.numel !== B * G) throw new KernelInputError(`kv cache: gate ${shapeToString(a.gate.shape)} must hold (B, G) = (${B}, ${G})`);
    if (this.length + 1 > capacity) throw new KernelInputError(`kv cache: appending 1 position at ${this.length} exceeds ${this.k}'s capacity of ${capacity}`);
    if (!(a.base > 0)) throw new KernelInputError(`kv cache: RoPE base ${a.base} must be positive`);
    const format = this.format;
    const pipeline = this.engine.pipeline(`rope_kv_append:${format}`, () => ({
      code: ROPE_APPEND_PARAMS.wgsl() + ropeCommonSource + halfStoreWgsl(3, 'K', 'k_put', format) + halfStoreWgsl(4, 'V', 'v_put', format) + ropeAppendSource,
      constants: { WG },
    }));
    const n = B * (H * E / 2 + Hkv * E + G);
    const at = this.length;
    this.engine.dispatch(
      () => `rope_kv_append(B=${B}, H=${H}, Hkv=${Hkv}, E=${E}, G=${G}, at=${at})`,
      pipeline,
      [a.src, a.q, this.k, this.v, a.gate],
      grid1d(Math.ceil(n / WG), this.engine.report.limits.maxComputeWorkgroupsPerDimension),
      ROPE_APPEND_PARAMS.pack({ B, H, Hkv, E, G, capacity, offset: this.length, log2Base: Math.log2(a.base) }),
      ROPE_APPEND_OFFSET,
    );
    this.length += 1;
  }

  /**
   * Marks `positions` more positions valid without recording anything: replayed work (Engine.replay) wrote
   * them, as the captured appendRoped did.
   */
  advance(positions: number): void {
    if (!Number.isInteger(positions) || positions < 0 || this.length + positions > this.capacity) {
      throw new KernelInputError(`kv cache: advancing ${positions} positions from ${this.length} exceeds ${this.k}'s capacity of ${this.capacity}`);
    }
    this.length += positions;
  }

  /** Attention of q (L new queries, already appended to the cache) against every cached position. */
  attend(q: HeadView, opts: AttentionOptions = {}): Tensor {
    return attention(this.engine, q, this.keys(), this.values(), { causal: true, growing: { capacity: this.capacity }, ...opts });
  }

  release(): void {
    this.k.release();
    this.v.release();
  }
}
