// Selective scan (Mamba's SSM, forward), with official selective_scan_ref semantics:
//   dt = softplus?(delta + deltaBias); h_t = exp(dt·A)·h_{t-1} + dt·B_t·u_t; y_t = <h_t, C_t> + Dskip·u_t;
//   y_t *= silu(z_t) when z is given. Optional initial state, optional final state.
// Dimensions: B batch, L seqLen, D dInner (channels), N dState, G groups of B/C (channel d uses d / (D/G)).
// Layouts (D fastest, as the matmuls produce them): u, delta, y (B, L, D); B and C in one tensor `bc` of
// B·L rows of bcRowStride floats, B at bOffset + g·N and C at cOffset + g·N (so the Mamba block's x_proj
// output (B, L, dtRank + 2N) is used as is); z rows of zRowStride at zOffset (a column slice of in_proj's
// output); per-channel params packed as `channels` (D, N + 2) = [A(d, :), Dskip(d), deltaBias(d)]
// (packScanChannels); state (B, D, N).
// The hidden state (B, D, L, N) never reaches GPU memory. Variants: 'sequential' (one invocation per
// (b, d) walking L) and 'chunked' (three passes: per-chunk local scans, a carry pass over chunks per
// (b, n, d), then per-chunk rescans from the carried state; chunk-boundary states (B, L/chunk, N, D) are
// the only extra memory) and 'subgroup' (one pass: the lanes of a subgroup split each chunk of a channel's
// sequence and scan across each other with shuffles, as the Mamba paper's CUDA kernel does; every decay
// computed once, but on an H200 2.6-3x slower than 'chunked' at B=1 L=8192 D=3072: see
// docs/measurements/h200/run-2026-12-02/README.md). 'auto' picks 'chunked'.

import sequentialSource from '../../shaders/selective_scan_sequential.wgsl?raw';
import chunkLocalSource from '../../shaders/selective_scan_chunk_local.wgsl?raw';
import chunkCarrySource from '../../shaders/selective_scan_chunk_carry.wgsl?raw';
import chunkOutputSource from '../../shaders/selective_scan_chunk_output.wgsl?raw';
import commonSource from '../../shaders/selective_scan_common.wgsl?raw';
import stepsSource from '../../shaders/selective_scan_steps.wgsl?raw';
import exp2ProbeSource from '../../shaders/selective_scan_exp2_probe.wgsl?raw';
import subgroupSource from '../../shaders/selective_scan_subgroup.wgsl?raw';
import bcScalarSource from '../../shaders/selective_scan_bc_scalar.wgsl?raw';
import bcVec4Source from '../../shaders/selective_scan_bc_vec4.wgsl?raw';
import type { Engine } from '../engine/engine';
import { grid1d } from '../engine/engine';
import { KernelInputError } from '../engine/errors';
import { Tensor, shapeToString } from '../engine/tensor';
import { defineUniforms } from '../engine/uniforms';
import type { MemoryCategory } from '../engine/allocator';
import { scratchTensor } from './scratch-pool';
import { unrollLines } from './unroll-lines';
import { residencyCode } from './residency';

export const SCAN_PARAMS = defineUniforms([
  ['batch', 'u32'],
  ['seqLen', 'u32'],
  ['dInner', 'u32'],
  ['dState', 'u32'],
  ['groups', 'u32'],
  ['chunkLen', 'u32'],
  ['numChunks', 'u32'],
  ['dBlocks', 'u32'],
  ['bcRowStride', 'u32'],
  ['bOffset', 'u32'],
  ['cOffset', 'u32'],
  ['zRowStride', 'u32'],
  ['zOffset', 'u32'],
  ['hasZ', 'u32'],
  ['deltaSoftplus', 'u32'],
  ['hasInitState', 'u32'],
  ['writeFinalState', 'u32'],
  /** 0xFFFFFFFF: scan_exp2_poly's operand that the shader compiler cannot see (selective_scan_common.wgsl). */
  ['polyOnes', 'u32'],
] as const);

/** The value of the polyOnes uniform. */
const POLY_ONES = 0xffffffff;

/** Largest dState the kernels hold in registers. */
export const MAX_D_STATE = 256;
/** Invocations along D per workgroup in the sequential kernel. */
const WG_D = 64;
/** Invocations along D per workgroup in the chunk-local and output passes (capped by the device). */
const WG_CHUNK = 128;
const WG_CARRY = 256;
/** Tokens per staged block of the chunked passes (B/C rows held in workgroup memory). */
const TB_DEFAULT = 32;
/** Tokens whose delta, u, z loads are issued together ahead of their recurrence steps. */
const KU_DEFAULT = 8;
/** Largest STATE_VEC4 whose B/C blocks are staged (TB·2·16 vec4 = 16 KiB). */
const MAX_STAGED_VEC4 = 16;
/** Most vec4 of the next staged block an invocation holds in registers when pipelined (SPT). */
const MAX_PREFETCH_VEC4 = 8;
/**
 * Software pipelining of the chunked passes' loads by default (ScanTuning.pipeline): only when the whole
 * sequence is one chunk (the output pass alone). On an H200 (docs/measurements/h200/scan-pipeline-2.json)
 * it made that pass faster (B=64 L=512 D=2048 N=16: 0.480 ms against 0.504) and the three-pass scan slower
 * (B=1 L=8192 D=3072: 0.353 against 0.341; B=8 L=2048 D=2048: 0.443 against 0.434).
 */
export function defaultPipeline(numChunks: number): boolean {
  return numChunks === 1;
}
/**
 * Invocations per channel in the chunk-local and output passes by default (ScanTuning.splitLocal,
 * splitOutput). 1: on an H200 every split was slower (docs/measurements/h200/scan-pipeline.json; B=1
 * L=8192 D=3072: 0.371 ms with the local pass split in two, 0.517 with the output pass split in two,
 * against 0.355), the per-token work (loads, step size, gate, addresses) being repeated per invocation.
 */
export const DEFAULT_SPLIT_LOCAL = 1;
export const DEFAULT_SPLIT_OUTPUT = 1;
/**
 * Share of the state slots whose decays the chunked passes compute with the polynomial exp2 (FMA and
 * integer pipes) rather than the special-function unit's exp2. 0: on an H200
 * (docs/measurements/h200/scan-poly.json) every share above 0 was slower, monotonically (B=1 L=8192
 * D=3072 N=16: 0.382 ms at 0, 0.452 at 2/16 of the slots, 0.601 at 1/2, 0.716 at all), and the scan is
 * not bound by the special-function unit: with no exp in the decays it takes 0.352 ms, with no
 * special-function op at all 0.330 ms.
 */
export const DEFAULT_POLY_FRACTION = 0;

/** How the gate silu(z) is computed (selective_scan_steps.wgsl, GATE_FORM). */
export type GateForm = 'div' | 'tanh' | 'fma';
/** How softplus is computed (selective_scan_steps.wgsl, SOFTPLUS_FORM). */
export type SoftplusForm = 'branch' | 'select';
const GATE_FORMS: Record<GateForm, number> = { div: 0, tanh: 1, fma: 2 };
const SOFTPLUS_FORMS: Record<SoftplusForm, number> = { branch: 0, select: 1 };
/**
 * The gate form of every scan kernel by default (ScanTuning.gate). 'div': on an H200
 * (docs/measurements/h200/run-2026-11-28/scan-mufu.json, GPU time) the one-special-function-op forms
 * were slower (B=1 L=8192 D=3072 N=16: 0.342 ms div, 0.350 fma, 0.362 tanh; B=64 L=512 D=2048: 0.480,
 * 0.502, 0.547): the FMA reciprocal's and the tanh's extra instructions cost more than the op saved.
 */
export const DEFAULT_GATE: GateForm = 'div';
/**
 * The softplus form of every scan kernel by default (ScanTuning.softplus). 'branch': the branch-free form
 * was slower on an H200 (same file; B=1 L=8192 D=3072: 0.347 ms against 0.342; B=64 L=512: 0.653 against
 * 0.480).
 */
export const DEFAULT_SOFTPLUS: SoftplusForm = 'branch';

export type ScanVariant = 'auto' | 'sequential' | 'chunked' | 'subgroup';

export interface BcLayout {
  /** Floats per token row of `bc`. */
  rowStride: number;
  /** Column of B(g = 0, n = 0) in a row. */
  bOffset: number;
  /** Column of C(g = 0, n = 0) in a row. */
  cOffset: number;
}

export interface SelectiveScanArgs {
  /** (B, L, D) */
  u: Tensor;
  /** (B, L, D), before bias and softplus. */
  delta: Tensor;
  /** (D, N + 2): A, Dskip, deltaBias per channel (packScanChannels). */
  channels: Tensor;
  /** B and C, B·L rows as described by bcLayout. */
  bc: Tensor;
  /** Default: rows of 2·G·N, B then C. */
  bcLayout?: BcLayout;
  /** Number of B/C groups G (D must be a multiple). Default 1. */
  groups?: number;
  /** Gate, B·L rows of zLayout.rowStride (default D) at zLayout.offset (default 0). */
  z?: Tensor;
  zLayout?: { rowStride: number; offset: number };
  deltaSoftplus?: boolean;
  /**
   * Let the scan overwrite `delta` with the step sizes dt = softplus?(delta + deltaBias) (opt-in, for a
   * caller whose delta is a temporary): when the chunked scan runs in several chunks (three passes), the
   * chunk-local pass writes each dt over its delta and the output pass reads dt instead of recomputing bias
   * and softplus (two special-function ops per element fewer). Otherwise (sequential, one chunk, or the
   * local pass split over several invocations per channel) delta is left unchanged. No extra memory.
   * On an H200 (docs/measurements/h200/run-2026-11-28/scan-mufu.json, GPU time) the output pass gets faster
   * (B=1 L=8192 D=3072 N=16: 0.174 ms against 0.184) and the local pass slower by its writes (0.147
   * against 0.139): the scan 0.341 ms either way there, 0.431 against 0.434 at B=8 L=2048 D=2048.
   */
  deltaInPlace?: boolean;
  /** (B, D, N). Read as the initial state when useInitialState; receives the final state when writeFinalState. */
  state?: Tensor;
  useInitialState?: boolean;
  writeFinalState?: boolean;
  variant?: ScanVariant;
  /** Tokens per chunk for the chunked variant (default: chosen from the size). */
  chunkLen?: number;
  /** Workgroup size, unrolling and staging of the chunked passes (benchmarks). */
  tuning?: ScanTuning;
  out?: Tensor;
  category?: MemoryCategory;
  label?: string;
  /**
   * Benchmarks: a tensor zeroed by the caller, read as u32 afterwards: [workgroups running now (0 after
   * the scan), the most that ran at once] (resident workgroups: what limits a latency-bound kernel).
   * Subgroup variant: 2 values. Chunked variant: 4, the chunk-local pass's pair then the output pass's
   * (the output pass alone, one chunk: the second pair).
   */
  residency?: Tensor;
}

/** Packs per-channel parameters into the (D, N + 2) layout the scan kernels read: [A(d, :), Dskip(d), deltaBias(d)]. */
export function packScanChannels(A: ArrayLike<number>, dInner: number, dState: number, dSkip?: ArrayLike<number> | null, deltaBias?: ArrayLike<number> | null): Float32Array {
  if (A.length !== dInner * dState) throw new KernelInputError(`selective_scan: A has ${A.length} values, expected D·N = ${dInner}·${dState}`);
  if (dSkip && dSkip.length !== dInner) throw new KernelInputError(`selective_scan: D has ${dSkip.length} values, expected ${dInner}`);
  if (deltaBias && deltaBias.length !== dInner) throw new KernelInputError(`selective_scan: delta_bias has ${deltaBias.length} values, expected ${dInner}`);
  const out = new Float32Array(dInner * (dState + 2));
  for (let d = 0; d < dInner; d++) {
    const row = d * (dState + 2);
    for (let n = 0; n < dState; n++) out[row + n] = A[d * dState + n];
    out[row + dState] = dSkip ? dSkip[d] : 0;
    out[row + dState + 1] = deltaBias ? deltaBias[d] : 0;
  }
  return out;
}

/**
 * vec4 registers for the state: ceil(dState / 4) rounded up to a power of two (bounds the pipeline
 * variants; lanes beyond dState are masked to zero).
 */
export function stateVec4Count(dState: number): number {
  let s = 1;
  while (s * 4 < dState) s *= 2;
  return s;
}

/** B/C can be read as vec4 when every row, offset and group start is 16-byte aligned. */
export function bcIsVec4Aligned(dState: number, layout: BcLayout): boolean {
  return dState % 4 === 0 && layout.rowStride % 4 === 0 && layout.bOffset % 4 === 0 && layout.cOffset % 4 === 0;
}

/**
 * The chunk length the chunked variant uses by default. Each (b, chunk, d) is one invocation; the passes
 * want about TARGET_INVOCATIONS of them to keep a large GPU's memory system busy, and otherwise the longest
 * chunks (fewer chunk-boundary states to write and carry). When B·D alone reaches the target the whole
 * sequence is one chunk: the output pass alone, no carry.
 */
export function defaultChunkLen(batch: number, seqLen: number, dInner: number): number {
  // Measured on an H200 (docs/measurements/h200/scan-optimized.json): 2^18 invocations; one chunk from
  // B·D = 2^15 (B=16 L=2048 D=2048: one pass 0.79 ms against 0.87 ms in three; B=8: 0.70 against 0.45).
  const TARGET_INVOCATIONS = 1 << 18;
  const SINGLE_PASS_LANES = 1 << 15;
  const MIN_CHUNK = 32;
  const MAX_CHUNK = 512;
  const lanes = batch * dInner;
  if (lanes >= SINGLE_PASS_LANES || seqLen <= MIN_CHUNK) return Math.max(1, seqLen);
  let c = MAX_CHUNK;
  while (c > MIN_CHUNK && lanes * Math.ceil(seqLen / c) < TARGET_INVOCATIONS) c /= 2;
  return c >= seqLen ? seqLen : c;
}

export function chooseScanVariant(variant: ScanVariant, seqLen: number, chunkLen: number): 'sequential' | 'chunked' | 'subgroup' {
  void seqLen;
  void chunkLen;
  if (variant !== 'auto') return variant;
  return 'chunked';
}

/** Shape of the subgroup scan's workgroup (ScanTuning.subgroup). */
export interface SubgroupShape {
  /**
   * Lanes per channel (LANES, power of two, at most the subgroup size and 32; 1 without subgroups). Default
   * min(16, subgroupMinSize): on an H200 16 lanes took 0.89 ms against 1.03 with 32
   * (docs/measurements/h200/run-2026-12-02).
   */
  lanes?: number;
  /** Tokens per lane per chunk (ITEMS). Default 8 (docs/measurements/h200/run-2026-12-02: 1.03 ms against 1.25 at 4). */
  items?: number;
  /** Channels per workgroup (CPW). Default 256 / lanes. */
  channels?: number;
  /** States whose B/C rows are staged together, rounded up to whole quads (SQ·4). Default 16 (fewer when the workgroup memory does not fit). */
  stateGroup?: number;
  /** Stage B/C rows in workgroup memory when the channels of a workgroup share a group (default true). */
  stage?: boolean;
}

interface SubgroupConfig {
  lanes: number;
  items: number;
  cpw: number;
  /** State quads staged together (SQ) and in all (NQ). */
  sq: number;
  nq: number;
  stage: boolean;
  /** vec4 per staged tensor (B, C). */
  stagedVec4: number;
  bytes: number;
}

/**
 * The subgroup scan's configuration for a size on a device, or why it cannot run there. Lanes default to
 * min(16, the adapter's smallest subgroup size); without subgroups (or an adapter that does not say its
 * subgroup size) one lane per channel.
 */
export function subgroupScanConfig(
  dInner: number,
  dState: number,
  groups: number,
  device: { limits: { maxComputeWorkgroupStorageSize: number; maxComputeInvocationsPerWorkgroup: number; maxComputeWorkgroupSizeX: number }; subgroups: boolean; subgroupMinSize: number },
  shape: SubgroupShape = {},
): SubgroupConfig | string {
  const maxLanes = device.subgroups && device.subgroupMinSize > 0 ? device.subgroupMinSize : 1;
  const lanes = floorPow2(Math.max(1, Math.min(shape.lanes ?? 16, maxLanes, 32)));
  let items = Math.max(1, Math.floor(shape.items ?? 8));
  const maxWg = Math.min(device.limits.maxComputeInvocationsPerWorkgroup, device.limits.maxComputeWorkgroupSizeX);
  let cpw = Math.max(1, Math.floor(shape.channels ?? Math.max(1, Math.floor(Math.min(256, maxWg) / lanes))));
  const nq = Math.ceil(dState / 4);
  let sq = Math.max(1, Math.min(Math.ceil((shape.stateGroup ?? 16) / 4), nq));
  const stageFor = (ch: number) => shape.stage !== false && (groups === 1 || (dInner / groups) % ch === 0);
  const stagedFor = () => (stageFor(cpw) ? sq * lanes * (items + 1) : 1);
  const bytesFor = () => 2 * stagedFor() * 16 + 3 * cpw * nq * 16 + 2 * cpw * (lanes * (items + 1) + 1) * 4 + 2 * cpw * 4;
  const limit = device.limits.maxComputeWorkgroupStorageSize;
  while (bytesFor() > limit) {
    if (shape.stateGroup === undefined && sq > 1) sq = Math.ceil(sq / 2);
    else if (shape.channels === undefined && cpw > 1) cpw = Math.max(1, Math.floor(cpw / 2));
    else if (shape.items === undefined && items > 1) items = Math.max(1, Math.floor(items / 2));
    else break;
  }
  if (cpw * lanes > maxWg) return `a workgroup of ${cpw} channels × ${lanes} lanes = ${cpw * lanes} invocations exceeds the device's ${maxWg}`;
  const bytes = bytesFor();
  if (bytes > limit) return `${bytes} bytes of workgroup memory (N=${dState}) exceed the device's ${limit}`;
  return { lanes, items, cpw, sq, nq, stage: stageFor(cpw), stagedVec4: stagedFor(), bytes };
}

/** Tuning knobs of the chunked passes (benchmarks); defaults suit both the CPU device and large GPUs. */
export interface ScanTuning {
  /** Invocations (channels) per workgroup in the chunk-local and output passes. */
  workgroupSize?: number;
  /** Tokens whose loads are issued together (KU). */
  unroll?: number;
  /** Tokens per staged block of B/C rows (TB, default 32). */
  block?: number;
  /** Stage B/C rows in workgroup memory when the layout allows (default true). */
  stage?: boolean;
  /**
   * Share (0..1) of the state slots whose decays exp(dt·A) use the polynomial exp2 instead of the
   * special-function unit, rounded to whole slots of 4·STATE_VEC4 (scanPolyElems). Default
   * DEFAULT_POLY_FRACTION in the chunked passes, 0 in the sequential kernel.
   */
  polyFraction?: number;
  /** Polynomial decays (polyFraction) in this chunked pass only; the other pass's decays all use exp2. */
  polyPass?: 'local' | 'output';
  /**
   * Benchmarks only, wrong results: replace special-function ops to measure what they cost.
   * 'no-exp': decays max(1 + dt·a, 0); 'no-softplus': dt = |delta + bias|; 'no-sfu': both, and the gate
   * multiplies by z instead of silu(z). The subgroup variant's own: 'no-states' (no state recurrence: its
   * loads, barriers and stores alone), 'no-lane-scan' (no scan across lanes). The chunked passes' own, to
   * find what binds them: 'no-bc-reads' (B and C taken from registers instead of the staged rows),
   * 'no-token-loads' (delta, u, z made from the token index instead of loaded), 'no-y-stores' (the output
   * pass stores no y). Several at once as an array.
   */
  diagnostic?: ScanDiagnostic | ScanDiagnostic[];
  /**
   * Issue loads one step ahead of their use in the chunk-local and output passes: the next KU tokens'
   * delta, u, z before the current KU steps, the next block's staged B/C rows (into registers, then a
   * second workgroup buffer) before the current block. Default defaultPipeline(numChunks). Left off for a staged
   * pass whose double buffer or prefetch registers do not fit.
   */
  pipeline?: boolean;
  /**
   * Invocations that share a channel in the chunk-local pass, each holding 1/split of the state: fewer
   * registers per invocation, more invocations. Power of two, at most stateVec4 and dividing the workgroup
   * (otherwise rounded down). Default DEFAULT_SPLIT_LOCAL.
   */
  splitLocal?: number;
  /** As splitLocal for the output pass, whose partial sums <h, C> are added by subgroup shuffles: 1 without 'subgroups', at most 4. */
  splitOutput?: number;
  /** Benchmarks only, wrong results: dispatch this pass of the chunked scan alone (its time by itself). */
  onlyPass?: 'local' | 'carry' | 'output';
  /** Form of silu(z) in every scan kernel (default DEFAULT_GATE). */
  gate?: GateForm;
  /** Form of softplus in every scan kernel (default DEFAULT_SOFTPLUS). */
  softplus?: SoftplusForm;
  /** Workgroup shape of the subgroup variant (default: subgroupScanConfig's). */
  subgroup?: SubgroupShape;
}

export type ScanDiagnostic = 'no-exp' | 'no-softplus' | 'no-sfu' | 'no-states' | 'no-lane-scan' | 'no-bc-reads' | 'no-token-loads' | 'no-y-stores';

const DIAG_BITS: Record<ScanDiagnostic, number> = { 'no-exp': 1, 'no-softplus': 2, 'no-sfu': 7, 'no-states': 8, 'no-lane-scan': 16, 'no-bc-reads': 32, 'no-token-loads': 64, 'no-y-stores': 128 };

/** The SCAN_DIAG bits of a tuning's diagnostics (0 for none). */
export function scanDiagnosticBits(diagnostic: ScanDiagnostic | ScanDiagnostic[] | undefined): number {
  if (!diagnostic) return 0;
  return (Array.isArray(diagnostic) ? diagnostic : [diagnostic]).reduce((bits, d) => bits | DIAG_BITS[d], 0);
}

/** State slots (of 4·stateVec4) whose decays use the polynomial exp2 for a share `fraction` of them. */
export function scanPolyElems(fraction: number, stateVec4: number): number {
  if (!(fraction >= 0 && fraction <= 1)) throw new KernelInputError(`selective_scan: polyFraction ${fraction} must be within 0..1`);
  return Math.round(fraction * 4 * stateVec4);
}

interface StepOptions {
  /** POLY_ELEMS: state slots whose decays use scan_exp2_poly. */
  polyElems: number;
  /** SCAN_DIAG bits (benchmarks only). */
  diag: number;
  /** GATE_FORM, SOFTPLUS_FORM. */
  gate: number;
  softplus: number;
}

/** Step sizes between the chunked passes: written by the chunk-local pass, read as dt by the output pass. */
type DtMode = 'none' | 'write' | 'ready';

/** How a chunked pass (chunk-local or output) walks its chunk. */
interface PassConfig {
  /** Invocations per workgroup. */
  wg: number;
  /** Tokens whose loads are issued together (KU). */
  ku: number;
  /** Tokens per staged block (TB). */
  tb: number;
  /** B/C rows staged in workgroup memory. */
  stage: boolean;
  /** vec4 per staged row (B only: stateVec4; B and C: 2·stateVec4). */
  rowsVec4: number;
  /** Loads issued one step ahead (PIPE). */
  pipe: boolean;
  /** Invocations per channel (NS). */
  ns: number;
}

/** Channels per workgroup of a chunked pass. */
function passChannels(c: PassConfig): number {
  return c.wg / c.ns;
}

function passKey(c: PassConfig): string {
  return `wg=${c.wg}:ku=${c.ku}:tb=${c.tb}:stage=${c.stage ? 1 : 0}:pipe=${c.pipe ? 1 : 0}:ns=${c.ns}`;
}

function passConsts(c: PassConfig, stateVec4: number): string {
  const sbcLen = c.stage ? c.tb * c.rowsVec4 : 1;
  const spt = c.stage && c.pipe ? Math.ceil(sbcLen / c.wg) : 1;
  const lines = [
    `const TB: u32 = ${c.tb}u;`,
    `const KU: u32 = ${c.ku}u;`,
    `const STAGE_BC: bool = ${c.stage};`,
    `const SBC_LEN: u32 = ${sbcLen}u;`,
    `const SROW: u32 = ${c.stage ? c.rowsVec4 : 1}u;`,
    `const SROWS: u32 = ${c.stage ? (c.pipe ? 2 : 1) * c.tb : 1}u;`,
    `const PIPE: bool = ${c.pipe};`,
    `const SBUF: u32 = ${c.stage && c.pipe ? 2 : 1}u;`,
    `const SPT: u32 = ${spt}u;`,
    `const NS: u32 = ${c.ns}u;`,
    `const QS: u32 = ${stateVec4 / c.ns}u;`,
  ];
  // The output pass adds the partial sums of the NS invocations of a channel (consecutive, in one subgroup).
  lines.push(
    c.ns > 1
      ? 'fn ns_sum(v: f32) -> f32 {\n  var s = v;\n  for (var m = 1u; m < NS; m = m << 1u) { s += subgroupShuffleXor(s, m); }\n  return s;\n}'
      : 'fn ns_sum(v: f32) -> f32 { return v; }',
  );
  return lines.join('\n') + '\n';
}

function shaderCode(source: string, stateVec4: number, bcLoader: 'vec4' | 'scalar' | null, steps: StepOptions | null, pass?: PassConfig, dt: DtMode = 'none', residency: { binding: number; at: number } | null = null): string {
  const loader = bcLoader === null ? '' : bcLoader === 'vec4' ? bcVec4Source : bcScalarSource;
  let consts = pass ? passConsts(pass, stateVec4) + residencyCode(residency) + '\n' : '';
  if (pass) {
    consts += `const DT_WRITE: bool = ${dt === 'write'};\nconst DT_READY: bool = ${dt === 'ready'};\n`;
    consts += dt === 'write' ? 'fn store_dt(i: u32, v: f32) { Delta[i] = v; }\n' : 'fn store_dt(i: u32, v: f32) {}\n';
  }
  if (dt === 'write') {
    const decl = 'var<storage, read> Delta: array<f32>;';
    if (!source.includes(decl)) throw new Error('selective_scan: chunk-local shader lacks the Delta declaration');
    source = source.replace(decl, 'var<storage, read_write> Delta: array<f32>;');
  }
  const enable = pass && pass.ns > 1 ? 'enable subgroups;\n' : '';
  const stepConsts = steps ? stepConstants(steps) : '';
  return enable + SCAN_PARAMS.wgsl() + `const STATE_VEC4: u32 = ${stateVec4}u;\n` + consts + stepConsts + commonSource + (steps ? stepsSource : '') + loader + source;
}

function subgroupShaderCode(cfg: SubgroupConfig, steps: StepOptions, residency: boolean): string {
  const consts = [
    `const LANES: u32 = ${cfg.lanes}u;`,
    `const ITEMS: u32 = ${cfg.items}u;`,
    `const CPW: u32 = ${cfg.cpw}u;`,
    `const SQ: u32 = ${cfg.sq}u;`,
    `const NQ: u32 = ${cfg.nq}u;`,
    `const SROWS: u32 = ${cfg.stagedVec4}u;`,
    `const TSTRIDE: u32 = ${cfg.lanes * (cfg.items + 1) + 1}u;`,
    `const STAGE_BC: bool = ${cfg.stage};`,
    residencyCode(residency ? { binding: 8, at: 0 } : null),
    cfg.lanes > 1
      ? 'fn lanes_shuffle_up(v: vec4<f32>, off: u32) -> vec4<f32> { return subgroupShuffleUp(v, off); }'
      : 'fn lanes_shuffle_up(v: vec4<f32>, off: u32) -> vec4<f32> { return v; }',
  ].join('\n');
  // Staged (token, quad) pairs per invocation: CHUNK·SQ over CPW·LANES invocations.
  const kbc = cfg.stage ? Math.ceil((cfg.items * cfg.sq) / cfg.cpw) : 0;
  // STATE_VEC4 is only read by helpers this kernel does not call; the decays use exp2 (POLY_ELEMS 0).
  const head = (cfg.lanes > 1 ? 'enable subgroups;\n' : '') + SCAN_PARAMS.wgsl() + 'const STATE_VEC4: u32 = 1u;\n' + consts + '\n';
  const body = unrollLines(subgroupSource, { '': { mark: '#', count: cfg.items }, '-bc': { mark: '@', count: kbc } });
  return head + stepConstants({ ...steps, polyElems: 0 }) + commonSource + stepsSource + bcScalarSource + body;
}

/** The constants selective_scan_steps.wgsl reads. */
function stepConstants(steps: StepOptions): string {
  return `const POLY_ELEMS: u32 = ${steps.polyElems}u;\nconst SCAN_DIAG: u32 = ${steps.diag}u;\nconst GATE_FORM: u32 = ${steps.gate}u;\nconst SOFTPLUS_FORM: u32 = ${steps.softplus}u;\n`;
}

/** Largest power of two at most x (x >= 1). */
function floorPow2(x: number): number {
  let p = 1;
  while (p * 2 <= x) p *= 2;
  return p;
}

export function selectiveScan(engine: Engine, args: SelectiveScanArgs): Tensor {
  const { u, delta, channels, bc } = args;
  if (u.shape.length !== 3) throw new KernelInputError(`selective_scan: u must be (B, L, D), got ${shapeToString(u.shape)}`);
  const [batch, seqLen, dInner] = u.shape;
  if (delta.shape.length !== 3 || delta.shape.some((s, i) => s !== u.shape[i])) {
    throw new KernelInputError(`selective_scan: delta ${shapeToString(delta.shape)} must match u ${shapeToString(u.shape)}`);
  }
  if (channels.shape.length !== 2 || channels.shape[0] !== dInner || channels.shape[1] < 3) {
    throw new KernelInputError(`selective_scan: channels ${shapeToString(channels.shape)} must be (D, N + 2) with D = ${dInner}`);
  }
  const dState = channels.shape[1] - 2;
  if (dState > MAX_D_STATE) throw new KernelInputError(`selective_scan: dState ${dState} exceeds ${MAX_D_STATE}`);
  const groups = args.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1 || dInner % groups !== 0) {
    throw new KernelInputError(`selective_scan: groups ${groups} must divide D = ${dInner}`);
  }
  const bcLayout = args.bcLayout ?? { rowStride: 2 * groups * dState, bOffset: 0, cOffset: groups * dState };
  for (const [name, off] of [['B', bcLayout.bOffset], ['C', bcLayout.cOffset]] as const) {
    if (off + groups * dState > bcLayout.rowStride) {
      throw new KernelInputError(`selective_scan: ${name} columns ${off}..${off + groups * dState} do not fit bc rows of ${bcLayout.rowStride}`);
    }
  }
  if (bc.numel < batch * seqLen * bcLayout.rowStride) {
    throw new KernelInputError(`selective_scan: bc ${shapeToString(bc.shape)} holds fewer than B·L = ${batch * seqLen} rows of ${bcLayout.rowStride}`);
  }
  const zLayout = args.zLayout ?? { rowStride: dInner, offset: 0 };
  if (args.z) {
    if (zLayout.offset + dInner > zLayout.rowStride || args.z.numel < batch * seqLen * zLayout.rowStride) {
      throw new KernelInputError(`selective_scan: z ${shapeToString(args.z.shape)} does not hold B·L rows of ${zLayout.rowStride} with D = ${dInner} columns at ${zLayout.offset}`);
    }
  }
  const useInit = args.useInitialState ?? false;
  const writeFinal = args.writeFinalState ?? false;
  if ((useInit || writeFinal) && !args.state) throw new KernelInputError('selective_scan: a state tensor is needed for the initial or final state');
  if (args.state && (args.state.shape.length !== 3 || args.state.shape[0] !== batch || args.state.shape[1] !== dInner || args.state.shape[2] !== dState)) {
    throw new KernelInputError(`selective_scan: state ${shapeToString(args.state.shape)} must be (B, D, N) = (${batch}, ${dInner}, ${dState})`);
  }
  const out = args.out ?? engine.tensor([batch, seqLen, dInner], args.category ?? 'activations', args.label ?? 'selective_scan.out');
  if (out.numel !== batch * seqLen * dInner) throw new KernelInputError(`selective_scan: out ${shapeToString(out.shape)} does not hold (B, L, D)`);
  if (batch * seqLen * dInner === 0) {
    return out;
  }

  const variant = chooseScanVariant(args.variant ?? 'auto', seqLen, 0);
  const chunkLen = Math.min(seqLen, Math.max(1, Math.floor(args.chunkLen ?? defaultChunkLen(batch, seqLen, dInner))));
  const numChunks = variant === 'chunked' ? Math.ceil(seqLen / chunkLen) : 1;
  const limits = engine.report.limits;
  const wgChunk = Math.max(1, Math.min(args.tuning?.workgroupSize ?? WG_CHUNK, limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX));
  const wgD = variant === 'chunked' ? wgChunk : WG_D;
  const dBlocks = Math.ceil(dInner / wgD);
  const stateVec4 = stateVec4Count(dState);
  const bcLoader = bcIsVec4Aligned(dState, bcLayout) ? 'vec4' : 'scalar';
  const variantKey = `v4=${stateVec4}:bc=${bcLoader}`;
  const maxDim = limits.maxComputeWorkgroupsPerDimension;
  // B/C rows are staged per workgroup when all its channels read the same group and the block fits;
  // pipelined staging needs two blocks of workgroup memory and the next block's share in registers.
  const ku = Math.max(1, Math.floor(args.tuning?.unroll ?? KU_DEFAULT));
  const tb = Math.max(1, Math.floor(args.tuning?.block ?? TB_DEFAULT));
  const passConfig = (rowsVec4: number, split: number, maxSplit: number): PassConfig => {
    let ns = floorPow2(Math.max(1, Math.min(Math.floor(split), maxSplit, stateVec4)));
    while (wgChunk % ns !== 0) ns /= 2;
    const cpw = wgChunk / ns;
    const bytes = tb * rowsVec4 * 16;
    const stage =
      (args.tuning?.stage ?? true) &&
      stateVec4 <= MAX_STAGED_VEC4 &&
      bytes <= limits.maxComputeWorkgroupStorageSize &&
      (groups === 1 || (dInner / groups) % cpw === 0);
    let pipe = args.tuning?.pipeline ?? defaultPipeline(numChunks);
    if (pipe && stage && (2 * bytes > limits.maxComputeWorkgroupStorageSize || Math.ceil((tb * rowsVec4) / wgChunk) > MAX_PREFETCH_VEC4)) pipe = false;
    return { wg: wgChunk, ku, tb, stage, rowsVec4, pipe, ns };
  };
  const outputCfg = passConfig(2 * stateVec4, args.tuning?.splitOutput ?? DEFAULT_SPLIT_OUTPUT, engine.report.features.subgroups ? 4 : 1);
  const localCfg = passConfig(stateVec4, args.tuning?.splitLocal ?? DEFAULT_SPLIT_LOCAL, MAX_D_STATE);
  const uniformValues = {
    batch,
    seqLen,
    dInner,
    dState,
    groups,
    chunkLen: variant === 'chunked' ? chunkLen : seqLen,
    numChunks,
    dBlocks,
    bcRowStride: bcLayout.rowStride,
    bOffset: bcLayout.bOffset,
    cOffset: bcLayout.cOffset,
    zRowStride: zLayout.rowStride,
    zOffset: zLayout.offset,
    hasZ: args.z ? 1 : 0,
    deltaSoftplus: args.deltaSoftplus ? 1 : 0,
    hasInitState: useInit ? 1 : 0,
    writeFinalState: writeFinal ? 1 : 0,
    polyOnes: POLY_ONES,
  };
  const uniforms = SCAN_PARAMS.pack(uniformValues);
  // Absent optional inputs bind a stand-in that the shader never reads (flags say so).
  const z = args.z ?? u;
  const state = args.state ?? scratchTensor(engine, 'selective_scan.unused-state', 1);
  const size = `B=${batch}, L=${seqLen}, D=${dInner}, N=${dState}`;

  const diag = scanDiagnosticBits(args.tuning?.diagnostic);
  const polyElems = scanPolyElems(args.tuning?.polyFraction ?? (variant === 'sequential' ? 0 : DEFAULT_POLY_FRACTION), stateVec4);
  const steps: StepOptions = { polyElems, diag, gate: GATE_FORMS[args.tuning?.gate ?? DEFAULT_GATE], softplus: SOFTPLUS_FORMS[args.tuning?.softplus ?? DEFAULT_SOFTPLUS] };
  const stepsKey = `poly=${polyElems}:diag=${diag}:gate=${steps.gate}:sp=${steps.softplus}`;
  // The chunked passes' own step options: polynomial decays in one of them only when polyPass says so.
  const polyPass = args.tuning?.polyPass;
  const passSteps = (pass: 'local' | 'output'): { steps: StepOptions; key: string } =>
    polyPass === undefined || polyPass === pass ? { steps, key: stepsKey } : { steps: { ...steps, polyElems: 0 }, key: `poly=0:diag=${diag}:gate=${steps.gate}:sp=${steps.softplus}` };
  const localSteps = passSteps('local');
  const outputSteps = passSteps('output');

  if (variant === 'sequential') {
    const pipeline = engine.pipeline(`selective_scan_sequential:${variantKey}:${stepsKey}`, () => ({ code: shaderCode(sequentialSource, stateVec4, bcLoader, steps), constants: { WG: WG_D } }));
    engine.dispatch(() => `selective_scan_sequential(${size})`, pipeline, [u, delta, channels, bc, z, state, out], grid1d(batch * dBlocks, maxDim), uniforms);
    return out;
  }

  if (variant === 'subgroup') {
    const cfg = subgroupScanConfig(dInner, dState, groups, { limits, subgroups: engine.report.features.subgroups, subgroupMinSize: engine.report.subgroupMinSize }, args.tuning?.subgroup);
    if (typeof cfg === 'string') throw new KernelInputError(`selective_scan (subgroup, ${size}): ${cfg}`);
    const blocks = Math.ceil(dInner / cfg.cpw);
    const key = `selective_scan_subgroup:lanes=${cfg.lanes}:items=${cfg.items}:cpw=${cfg.cpw}:sq=${cfg.sq}:nq=${cfg.nq}:stage=${cfg.stage ? 1 : 0}:${stepsKey}`;
    const residency = args.residency;
    if (residency && residency.numel < 2) throw new KernelInputError(`selective_scan: the residency counter needs 2 values, got ${residency.numel}`);
    const pipeline = engine.pipeline(`${key}:residency=${residency ? 1 : 0}`, () => ({ code: subgroupShaderCode(cfg, steps, Boolean(residency)) }));
    engine.dispatch(
      () => `selective_scan_subgroup(${size}, ${cfg.cpw} channels × ${cfg.lanes} lanes × ${cfg.items} tokens)`,
      pipeline,
      residency ? [u, delta, channels, bc, z, state, out, residency] : [u, delta, channels, bc, z, state, out],
      grid1d(batch * blocks, maxDim),
      SCAN_PARAMS.pack({ ...uniformValues, chunkLen: cfg.lanes * cfg.items, numChunks: Math.ceil(seqLen / (cfg.lanes * cfg.items)), dBlocks: blocks }),
    );
    return out;
  }

  // Residency counters (benchmarks): the chunk-local pass's at 0, the output pass's at 2.
  const residency = args.residency;
  if (residency && residency.numel < 4) throw new KernelInputError(`selective_scan: the chunked scan's residency counters need 4 values, got ${residency.numel}`);
  const counted = (t: Tensor[]) => (residency ? [...t, residency] : t);
  const outputPipeline = (dt: DtMode) =>
    engine.pipeline(`selective_scan_chunk_output:${variantKey}:${passKey(outputCfg)}:${outputSteps.key}:dt=${dt}:residency=${residency ? 1 : 0}`, () => ({
      code: shaderCode(chunkOutputSource, stateVec4, bcLoader, outputSteps.steps, outputCfg, dt, residency ? { binding: 8, at: 2 } : null),
      constants: { WG: wgD },
    }));
  const passGrid = (c: PassConfig) => grid1d(batch * numChunks * Math.ceil(dInner / passChannels(c)), maxDim);
  const chunked = `${size}, chunk=${chunkLen}`;
  const only = args.tuning?.onlyPass;
  const runs = (pass: 'local' | 'carry' | 'output') => only === undefined || only === pass;
  if (numChunks === 1) {
    // One chunk: the output pass alone, reading the initial state from and writing the final state to `state`.
    if (runs('output')) engine.dispatch(() => `selective_scan_chunk_output(${chunked})`, outputPipeline('none'), counted([u, delta, channels, bc, z, state, out]), passGrid(outputCfg), uniforms);
    return out;
  }
  const carry = scratchTensor(engine, 'selective_scan.carry', batch * numChunks * dState * dInner);
  const deltaSum = scratchTensor(engine, 'selective_scan.delta-sum', batch * numChunks * dInner);
  // In place: the local pass writes dt over delta, the output pass reads it (one invocation per channel
  // in the local pass, so the one that writes a token's dt is the one that read its delta).
  const inPlace = (args.deltaInPlace ?? false) && localCfg.ns === 1;
  const local = engine.pipeline(`selective_scan_chunk_local:${variantKey}:${passKey(localCfg)}:${localSteps.key}:dt=${inPlace ? 'write' : 'none'}:residency=${residency ? 1 : 0}`, () => ({
    code: shaderCode(chunkLocalSource, stateVec4, bcLoader, localSteps.steps, localCfg, inPlace ? 'write' : 'none', residency ? { binding: 7, at: 0 } : null),
    constants: { WG: wgD },
  }));

  const carryPass = engine.pipeline('selective_scan_chunk_carry', () => ({ code: shaderCode(chunkCarrySource, 1, null, null), constants: { WG: WG_CARRY } }));
  if (runs('local')) engine.dispatch(() => `selective_scan_chunk_local(${chunked})`, local, counted([u, delta, channels, bc, carry, deltaSum]), passGrid(localCfg), uniforms);
  if (runs('carry')) {
    engine.dispatch(
      () => `selective_scan_chunk_carry(${chunked})`,
      carryPass,
      [channels, deltaSum, carry, state],
      grid1d(Math.ceil((batch * dState * dInner) / WG_CARRY), maxDim),
      uniforms,
    );
  }
  if (runs('output')) engine.dispatch(() => `selective_scan_chunk_output(${chunked})`, outputPipeline(inPlace ? 'ready' : 'none'), counted([u, delta, channels, bc, z, carry, out]), passGrid(outputCfg), uniforms);
  return out;
}

const EXP2_PROBE_PARAMS = defineUniforms([
  ['count', 'u32'],
  ['polyOnes', 'u32'],
] as const);

/**
 * Tests: out = scan_exp2_poly(x) elementwise, the polynomial exp2 of the scan kernels, with its all-ones
 * operand from a uniform as there. x and out hold a multiple of 4 floats.
 */
export function scanExp2Poly(engine: Engine, x: Tensor, out: Tensor): Tensor {
  if (x.numel % 4 !== 0 || out.numel !== x.numel) throw new KernelInputError(`scan_exp2_poly: x (${x.numel} values) and out (${out.numel}) must match and hold whole vec4`);
  const count = x.numel / 4;
  const wg = 64;
  const pipeline = engine.pipeline('selective_scan_exp2_probe', () => ({ code: EXP2_PROBE_PARAMS.wgsl() + commonSource + exp2ProbeSource, constants: { WG: wg } }));
  engine.dispatch(() => `scan_exp2_poly(n=${x.numel})`, pipeline, [x, out], grid1d(Math.ceil(count / wg), engine.report.limits.maxComputeWorkgroupsPerDimension), EXP2_PROBE_PARAMS.pack({ count, polyOnes: POLY_ONES }));
  return out;
}
