// RMSNorm: x (..., D), weight (D) -> out (..., D) = x / sqrt(mean(x², last dim) + eps) · weight.

import source from '../../shaders/rmsnorm.wgsl?raw';
import type { Engine } from '../engine/engine';
import { grid1d } from '../engine/engine';
import { KernelInputError } from '../engine/errors';
import { Tensor, shapeToString } from '../engine/tensor';
import { defineUniforms } from '../engine/uniforms';
import type { MemoryCategory } from '../engine/allocator';

const PARAMS = defineUniforms([
  ['rows', 'u32'],
  ['D', 'u32'],
  ['eps', 'f32'],
] as const);

const WG = 256;

export function rmsnorm(engine: Engine, x: Tensor, weight: Tensor, eps: number, opts: { out?: Tensor; category?: MemoryCategory; label?: string } = {}): Tensor {
  const D = x.shape[x.shape.length - 1];
  if (weight.numel !== D) throw new KernelInputError(`rmsnorm: weight ${shapeToString(weight.shape)} does not match last dim ${D} of x ${shapeToString(x.shape)}`);
  const rows = x.numel / D;
  const out = opts.out ?? engine.tensor(x.shape, opts.category ?? 'activations', opts.label ?? 'rmsnorm.out');
  const pipeline = engine.pipeline('rmsnorm', () => ({ code: PARAMS.wgsl() + source, constants: { WG } }));
  engine.dispatch(() => `rmsnorm(rows=${rows}, D=${D})`, pipeline, [x, weight, out], grid1d(rows, engine.report.limits.maxComputeWorkgroupsPerDimension), PARAMS.pack({ rows, D, eps }));
  return out;
}
