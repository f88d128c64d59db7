// Rate probes: kernels that measure what WGSL code gets from the GPU, so benchmarks can report a kernel
// against the device's own ceilings measured in the same run (as the copy kernel does for bandwidth):
// the FP32 fma rate (matmul, attention) and the exp2 rate (the selective scan's decays).

import fmaSource from '../../shaders/probe_fma.wgsl?raw';
import exp2Source from '../../shaders/probe_exp2.wgsl?raw';
import type { Engine } from '../engine/engine';
import { grid1d } from '../engine/engine';
import { KernelInputError } from '../engine/errors';
import type { Tensor } from '../engine/tensor';
import { defineUniforms } from '../engine/uniforms';

const PARAMS = defineUniforms([
  ['n', 'u32'],
  ['iterations', 'u32'],
  ['a', 'f32'],
  ['b', 'f32'],
] as const);

/** Independent chains per invocation (four vec4 registers in the shaders). */
export const PROBE_CHAINS = 16;

export type RateProbe = 'fma' | 'exp2';

/**
 * Runs one probe over out.numel invocations of `iterations` steps each. Operations counted: 'fma' →
 * 2 FLOPs per chain step, 'exp2' → one exp2 per chain step (returned as `ops`).
 */
export function rateProbe(engine: Engine, kind: RateProbe, out: Tensor, iterations: number, a: number, b: number): { ops: number } {
  if (!Number.isInteger(iterations) || iterations < 1) throw new KernelInputError(`rate probe: iterations ${iterations} must be a positive integer`);
  const n = out.numel;
  const pipeline = engine.pipeline(`probe_${kind}`, () => ({ code: PARAMS.wgsl() + (kind === 'fma' ? fmaSource : exp2Source) }));
  engine.dispatch(() => `probe_${kind}(n=${n}, iterations=${iterations})`, pipeline, [out], grid1d(Math.ceil(n / 256), engine.report.limits.maxComputeWorkgroupsPerDimension), PARAMS.pack({ n, iterations, a, b }));
  return { ops: n * iterations * PROBE_CHAINS * (kind === 'fma' ? 2 : 1) };
}
