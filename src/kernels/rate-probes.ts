// Rate probes: kernels that measure what WGSL code gets from the GPU, so benchmarks can report a kernel
// against the device's own ceilings measured in the same run (as the copy kernel does for bandwidth):
// the FP32 fma rate (matmul, attention), the exp2 rate (the selective scan's decays), the tiled
// matmul's workgroup-memory inner loop without its global loads, and how many workgroups holding a given
// amount of workgroup memory run at once (what an SM gives the flash and scan kernels' tiles).

import fmaSource from '../../shaders/probe_fma.wgsl?raw';
import exp2Source from '../../shaders/probe_exp2.wgsl?raw';
import matmulSmemSource from '../../shaders/probe_matmul_smem.wgsl?raw';
import workgroupMemorySource from '../../shaders/probe_workgroup_memory.wgsl?raw';
import type { Engine } from '../engine/engine';
import { grid1d } from '../engine/engine';
import { KernelInputError } from '../engine/errors';
import type { Tensor } from '../engine/tensor';
import { defineUniforms } from '../engine/uniforms';
import { residencyCode } from './residency';

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

/**
 * The tiled matmul's inner loop through workgroup memory alone (shaders/probe_matmul_smem.wgsl), over
 * out.numel / 256 workgroups (a multiple of 256 elements), `iterations` K-tiles each; `stage` writes each
 * tile from registers between barriers as the kernel's loads do. Returns the FLOPs it performs.
 */
export function matmulSmemProbe(engine: Engine, out: Tensor, iterations: number, stage: boolean, a = 1e-3, b = 2e-3): { ops: number } {
  if (!Number.isInteger(iterations) || iterations < 1) throw new KernelInputError(`matmul smem probe: iterations ${iterations} must be a positive integer`);
  if (out.numel % 256 !== 0) throw new KernelInputError(`matmul smem probe: out holds ${out.numel} floats, not a multiple of 256`);
  const groups = out.numel / 256;
  const pipeline = engine.pipeline(`probe_matmul_smem:stage=${stage ? 1 : 0}`, () => ({ code: PARAMS.wgsl() + matmulSmemSource, constants: { STAGE: stage ? 1 : 0 } }));
  engine.dispatch(() => `probe_matmul_smem(workgroups=${groups}, iterations=${iterations})`, pipeline, [out], grid1d(groups, engine.report.limits.maxComputeWorkgroupsPerDimension), PARAMS.pack({ n: out.numel, iterations, a, b }));
  return { ops: groups * 256 * 16 * 16 * 2 * iterations };
}

/**
 * The residency probe (shaders/probe_workgroup_memory.wgsl): out.numel / workgroupSize workgroups (a whole
 * number of them), each holding `bytes` of workgroup memory (rounded up to whole vec4, at least one), each
 * invocation walking an fma chain of `iterations` steps; with a counter (a u32 pair zeroed by the caller:
 * [running now, most at once]) it counts the workgroups that ran at once. With P vec4 of memory, vec4 j
 * holding (4j .. 4j + 3)·a, invocation i of a workgroup (j = i mod P) writes the sum over the four lanes
 * of x + pad[P - 1 - j], where x starts at pad[j] and takes `iterations` steps x = x·a + b.
 */
export function workgroupMemoryProbe(engine: Engine, out: Tensor, opts: { bytes: number; workgroupSize: number; iterations: number; a: number; b: number; residency?: Tensor }): void {
  const { workgroupSize: wg, iterations } = opts;
  if (!Number.isInteger(iterations) || iterations < 0) throw new KernelInputError(`workgroup memory probe: iterations ${iterations} must be a whole number`);
  if (!Number.isInteger(wg) || wg < 1 || out.numel % wg !== 0) throw new KernelInputError(`workgroup memory probe: out holds ${out.numel} floats, not a whole number of workgroups of ${wg}`);
  const limit = engine.report.limits.maxComputeWorkgroupStorageSize;
  const padVec4 = Math.max(1, Math.ceil(opts.bytes / 16));
  if (16 * padVec4 > limit) throw new KernelInputError(`workgroup memory probe: ${16 * padVec4} bytes exceed the device's ${limit} of workgroup memory`);
  const groups = out.numel / wg;
  const counted = Boolean(opts.residency);
  const pipeline = engine.pipeline(`probe_workgroup_memory:wg=${wg}:pad=${padVec4}:residency=${counted ? 1 : 0}`, () => ({
    code: PARAMS.wgsl() + `const PAD_VEC4: u32 = ${padVec4}u;\n` + residencyCode(counted ? { binding: 2, at: 0 } : null) + '\n' + workgroupMemorySource,
    constants: { WG: wg },
  }));
  engine.dispatch(
    () => `probe_workgroup_memory(workgroups=${groups}, ${16 * padVec4} bytes each)`,
    pipeline,
    opts.residency ? [out, opts.residency] : [out],
    grid1d(groups, engine.report.limits.maxComputeWorkgroupsPerDimension),
    PARAMS.pack({ n: out.numel, iterations, a: opts.a, b: opts.b }),
  );
}
