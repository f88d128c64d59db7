// Rotary position embedding (Llama rotate-half) applied in place to a head view: (B, L, H·E) as the q/k
// projections produce it, or (B, H, L, E). Positions are offset + l (offset = tokens already cached); the
// offset is a positional uniform field (Engine.dispatch), so a captured call replays at later positions.

import source from '../../shaders/rope.wgsl?raw';
import commonSource from '../../shaders/rope_common.wgsl?raw';
import type { Engine } from '../engine/engine';
import { grid1d } from '../engine/engine';
import { KernelInputError } from '../engine/errors';
import { defineUniforms } from '../engine/uniforms';
import type { HeadView } from './attention';

const PARAMS = defineUniforms([
  ['B', 'u32'],
  ['H', 'u32'],
  ['L', 'u32'],
  ['E', 'u32'],
  ['offset', 'u32'],
  ['sB', 'u32'],
  ['sH', 'u32'],
  ['sL', 'u32'],
  ['log2Base', 'f32'],
] as const);

const WG = 256;
const OFFSET_FIELD = [PARAMS.offsetOf('offset')];

export interface RopeOptions {
  /** Frequency base (Llama: 10000). */
  base?: number;
  /** Position of the first token (decode: the number of tokens already seen). */
  offset?: number;
}

export function ropeInPlace(engine: Engine, x: HeadView, opts: RopeOptions = {}): void {
  const { batch: B, heads: H, length: L, dim: E } = x;
  if (E % 2 !== 0) throw new KernelInputError(`rope: head dim ${E} of ${x.tensor.label} is odd; rotate-half needs pairs`);
  const base = opts.base ?? 10000;
  const offset = opts.offset ?? 0;
  if (!(base > 0)) throw new KernelInputError(`rope: base ${base} must be positive`);
  if (!Number.isInteger(offset) || offset < 0) throw new KernelInputError(`rope: offset ${offset} must be a non-negative integer`);
  const n = B * L * H * (E / 2);
  if (n === 0) return;
  const pipeline = engine.pipeline('rope', () => ({ code: PARAMS.wgsl() + commonSource + source, constants: { WG } }));
  engine.dispatch(
    () => `rope(B=${B}, L=${L}, H=${H}, E=${E}, offset=${offset})`,
    pipeline,
    [x.tensor],
    grid1d(Math.ceil(n / WG), engine.report.limits.maxComputeWorkgroupsPerDimension),
    PARAMS.pack({ B, H, L, E, offset, sB: x.strides.batch, sH: x.strides.head, sL: x.strides.pos, log2Base: Math.log2(base) }),
    OFFSET_FIELD,
  );
}
