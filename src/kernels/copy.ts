// Bandwidth probe: a vec4 copy kernel, src -> dst, n floats (n a multiple of 4). Benchmarks report kernels'
// effective bandwidth as a fraction of what this copy reaches in the same run (the best of a few
// configurations: COPY_CONFIGS).

import source from '../../shaders/copy_vec4.wgsl?raw';
import type { Engine } from '../engine/engine';
import { grid1d } from '../engine/engine';
import { KernelInputError } from '../engine/errors';
import type { Tensor } from '../engine/tensor';
import { defineUniforms } from '../engine/uniforms';

const PARAMS = defineUniforms([['n4', 'u32']] as const);

export interface CopyConfig {
  /** Invocations per workgroup. */
  workgroupSize?: number;
  /** vec4 per invocation per tile (1..16), loads issued before stores. */
  perInvocation?: number;
  /** Cap on the number of workgroups (grid-stride beyond it); default: one tile per workgroup. */
  maxWorkgroups?: number;
}

/** Configurations a benchmark tries, reporting the best. */
export const COPY_CONFIGS: CopyConfig[] = [
  { workgroupSize: 256, perInvocation: 1 },
  { workgroupSize: 256, perInvocation: 4 },
  { workgroupSize: 256, perInvocation: 8 },
  { workgroupSize: 512, perInvocation: 4 },
  { workgroupSize: 256, perInvocation: 4, maxWorkgroups: 132 * 16 },
];

export function copyConfigName(c: CopyConfig): string {
  return `wg=${c.workgroupSize ?? 256} per=${c.perInvocation ?? 4}${c.maxWorkgroups ? ` grid<=${c.maxWorkgroups}` : ''}`;
}

export function copyVec4(engine: Engine, src: Tensor, dst: Tensor, config: CopyConfig = {}): void {
  if (src.numel % 4 !== 0) throw new KernelInputError(`copy_vec4: src ${src} holds ${src.numel} floats, not a multiple of 4`);
  if (dst.numel < src.numel) throw new KernelInputError(`copy_vec4: dst ${dst} is smaller than src ${src}`);
  const limits = engine.report.limits;
  const wg = Math.max(1, Math.min(config.workgroupSize ?? 256, limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX));
  const per = Math.max(1, Math.min(16, Math.floor(config.perInvocation ?? 4)));
  const n4 = src.numel / 4;
  const pipeline = engine.pipeline(`copy_vec4:wg=${wg}:per=${per}`, () => ({ code: PARAMS.wgsl() + source, constants: { WG: wg, PER: per } }));
  let groups = Math.max(1, Math.ceil(n4 / (wg * per)));
  if (config.maxWorkgroups) groups = Math.min(groups, config.maxWorkgroups);
  const grid = grid1d(groups, limits.maxComputeWorkgroupsPerDimension);
  engine.dispatch(() => `copy_vec4(n=${src.numel})`, pipeline, [src, dst], grid, PARAMS.pack({ n4 }));
}
