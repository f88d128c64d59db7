// Bandwidth probe: a vec4 copy kernel, src -> dst, n floats (n a multiple of 4). Benchmarks report kernels'
// effective bandwidth as a fraction of what this copy reaches in the same run.

import source from '../../shaders/copy_vec4.wgsl?raw';
import type { Engine } from '../engine/engine';
import { grid1d } from '../engine/engine';
import { KernelInputError } from '../engine/errors';
import type { Tensor } from '../engine/tensor';
import { defineUniforms } from '../engine/uniforms';

const PARAMS = defineUniforms([['n4', 'u32']] as const);
const WG = 256;

export function copyVec4(engine: Engine, src: Tensor, dst: Tensor): void {
  if (src.numel % 4 !== 0) throw new KernelInputError(`copy_vec4: src ${src} holds ${src.numel} floats, not a multiple of 4`);
  if (dst.numel < src.numel) throw new KernelInputError(`copy_vec4: dst ${dst} is smaller than src ${src}`);
  const n4 = src.numel / 4;
  const pipeline = engine.pipeline('copy_vec4', () => ({ code: PARAMS.wgsl() + source, constants: { WG } }));
  const grid = grid1d(Math.ceil(n4 / WG), engine.report.limits.maxComputeWorkgroupsPerDimension);
  engine.dispatch(`copy_vec4(n=${src.numel})`, pipeline, [src, dst], grid, PARAMS.pack({ n4 }));
}
