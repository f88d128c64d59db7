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
// the only extra memory) and 'lookback' (one pass: per-chunk scans that keep their decays in registers,
// a decoupled look-back between chunks for the entering state, a rescan with the kept decays; every
// decay computed once). 'auto' picks lookbackOrChunked's choice.

import sequentialSource from '../../shaders/selective_scan_sequential.wgsl?raw';
import chunkLocalSource from '../../shaders/selective_scan_chunk_local.wgsl?raw';
import chunkCarrySource from '../../shaders/selective_scan_chunk_carry.wgsl?raw';
import chunkOutputSource from '../../shaders/selective_scan_chunk_output.wgsl?raw';
import commonSource from '../../shaders/selective_scan_common.wgsl?raw';
import stepsSource from '../../shaders/selective_scan_steps.wgsl?raw';
import exp2ProbeSource from '../../shaders/selective_scan_exp2_probe.wgsl?raw';
import lookbackSource from '../../shaders/selective_scan_lookback.wgsl?raw';
import lookbackResetSource from '../../shaders/selective_scan_lookback_reset.wgsl?raw';
import bcScalarSource from '../../shaders/selective_scan_bc_scalar.wgsl?raw';
import bcVec4Source from '../../shaders/selective_scan_bc_vec4.wgsl?raw';
import type { Engine } from '../engine/engine';
import { grid1d } from '../engine/engine';
import { KernelInputError } from '../engine/errors';
import { Tensor, shapeToString } from '../engine/tensor';
import { defineUniforms } from '../engine/uniforms';
import type { MemoryCategory } from '../engine/allocator';
import { scratchTensor } from './scratch-pool';

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

export type ScanVariant = 'auto' | 'sequential' | 'chunked' | 'lookback';

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

export function chooseScanVariant(variant: ScanVariant, seqLen: number, chunkLen: number): 'sequential' | 'chunked' | 'lookback' {
  void seqLen;
  void chunkLen;
  if (variant !== 'auto') return variant;
  return 'chunked';
}

/**
 * Shape of the one-pass look-back scan's workgroup (ScanTuning.lookback): CPW channels, NS invocations per
 * channel (each QS = stateVec4 / NS vec4 of the state), SUB sub-chunks of CS tokens (chunk = SUB·CS).
 */
export interface LookbackShape {
  /** Channels per workgroup (CPW). */
  channels?: number;
  /** Invocations per channel (NS, power of two; > 1 needs subgroups). */
  lanes?: number;
  /** Sub-chunks per chunk (SUB). */
  subChunks?: number;
  /** Tokens per sub-chunk (CS): CS·QS vec4 decays per invocation stay in registers. */
  tokens?: number;
}

/** Decays (vec4) an invocation of the look-back scan keeps in registers by default: CS·QS. */
const LOOKBACK_DECAY_VEC4 = 16;
const LOOKBACK_CHANNELS = 16;
const LOOKBACK_WG = 256;

interface LookbackConfig {
  cpw: number;
  ns: number;
  qs: number;
  sub: number;
  cs: number;
  chunk: number;
  stage: boolean;
  /** Workgroup memory in bytes. */
  bytes: number;
}

/**
 * The look-back scan's configuration for a size on a device, or why it cannot run there (a workgroup
 * memory or invocation limit).
 */
export function lookbackConfig(
  dInner: number,
  dState: number,
  groups: number,
  limits: { maxComputeWorkgroupStorageSize: number; maxComputeInvocationsPerWorkgroup: number; maxComputeWorkgroupSizeX: number },
  subgroups: boolean,
  shape: LookbackShape = {},
): LookbackConfig | string {
  const stateVec4 = stateVec4Count(dState);
  const maxWg = Math.min(limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX);
  const ns = floorPow2(Math.max(1, Math.min(shape.lanes ?? 4, stateVec4, subgroups ? 4 : 1)));
  const qs = stateVec4 / ns;
  let cpw = Math.max(1, Math.floor(shape.channels ?? LOOKBACK_CHANNELS));
  const cs = Math.max(1, Math.floor(shape.tokens ?? LOOKBACK_DECAY_VEC4 / qs));
  let sub = Math.max(1, Math.floor(shape.subChunks ?? LOOKBACK_WG / (cpw * ns)));
  const stageFor = (c: number) => groups === 1 || (dInner / groups) % c === 0;
  const bytesFor = (c: number, sb: number) =>
    (stageFor(c) ? sb * cs * 2 * stateVec4 * 16 : 16) + 3 * sb * cs * c * 4 + sb * c * stateVec4 * 16 + sb * c * 4 + 4;
  // Large states: fewer sub-chunks (unless given), then fewer channels, until the workgroup memory fits.
  while (bytesFor(cpw, sub) > limits.maxComputeWorkgroupStorageSize && shape.subChunks === undefined && sub > 1) sub = Math.max(1, Math.floor(sub / 2));
  while (bytesFor(cpw, sub) > limits.maxComputeWorkgroupStorageSize && shape.channels === undefined && cpw > 1) cpw = Math.max(1, Math.floor(cpw / 2));
  const wg = cpw * ns * sub;
  if (wg > maxWg) return `a workgroup of ${cpw}·${ns}·${sub} = ${wg} invocations exceeds the device's ${maxWg}`;
  const chunk = sub * cs;
  const stage = stageFor(cpw);
  const bytes = bytesFor(cpw, sub);
  if (bytes > limits.maxComputeWorkgroupStorageSize) {
    return `${bytes} bytes of workgroup memory (N=${dState}) exceed the device's ${limits.maxComputeWorkgroupStorageSize}`;
  }
  return { cpw, ns, qs, sub, cs, chunk, stage, bytes };
}

const LOOKBACK_RESET = defineUniforms([['slots', 'u32']] as const);

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
  /**
   * Benchmarks only, wrong results: replace special-function ops to measure what they cost.
   * 'no-exp': decays max(1 + dt·a, 0); 'no-softplus': dt = |delta + bias|; 'no-sfu': both, and the gate
   * multiplies by z instead of silu(z).
   */
  diagnostic?: ScanDiagnostic;
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
  /** Workgroup shape of the look-back variant (default: lookbackConfig's). */
  lookback?: LookbackShape;
}

export type ScanDiagnostic = 'no-exp' | 'no-softplus' | 'no-sfu';

const DIAG_BITS: Record<ScanDiagnostic, number> = { 'no-exp': 1, 'no-softplus': 2, 'no-sfu': 7 };

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

function shaderCode(source: string, stateVec4: number, bcLoader: 'vec4' | 'scalar' | null, steps: StepOptions | null, pass?: PassConfig, dt: DtMode = 'none'): string {
  const loader = bcLoader === null ? '' : bcLoader === 'vec4' ? bcVec4Source : bcScalarSource;
  let consts = pass ? passConsts(pass, stateVec4) : '';
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
  const stepConsts = steps
    ? `const POLY_ELEMS: u32 = ${steps.polyElems}u;\nconst SCAN_DIAG: u32 = ${steps.diag}u;\nconst GATE_FORM: u32 = ${steps.gate}u;\nconst SOFTPLUS_FORM: u32 = ${steps.softplus}u;\n`
    : '';
  return enable + SCAN_PARAMS.wgsl() + `const STATE_VEC4: u32 = ${stateVec4}u;\n` + consts + stepConsts + commonSource + (steps ? stepsSource : '') + loader + source;
}

function lookbackShaderCode(cfg: LookbackConfig, stateVec4: number, bcLoader: 'vec4' | 'scalar', steps: StepOptions): string {
  const consts = [
    `const NS: u32 = ${cfg.ns}u;`,
    `const QS: u32 = ${cfg.qs}u;`,
    `const CPW: u32 = ${cfg.cpw}u;`,
    `const SUB: u32 = ${cfg.sub}u;`,
    `const CS: u32 = ${cfg.cs}u;`,
    `const CHUNK: u32 = ${cfg.chunk}u;`,
    `const STAGE_BC: bool = ${cfg.stage};`,
    `const SROW: u32 = ${cfg.stage ? 2 * stateVec4 : 1}u;`,
    `const SROWS: u32 = ${cfg.stage ? cfg.chunk : 1}u;`,
    cfg.ns > 1
      ? 'fn ns_sum(v: f32) -> f32 {\n  var s = v;\n  for (var m = 1u; m < NS; m = m << 1u) { s += subgroupShuffleXor(s, m); }\n  return s;\n}'
      : 'fn ns_sum(v: f32) -> f32 { return v; }',
  ].join('\n');
  const stepConsts = `const POLY_ELEMS: u32 = ${steps.polyElems}u;\nconst SCAN_DIAG: u32 = ${steps.diag}u;\nconst GATE_FORM: u32 = ${steps.gate}u;\nconst SOFTPLUS_FORM: u32 = ${steps.softplus}u;\n`;
  const loader = bcLoader === 'vec4' ? bcVec4Source : bcScalarSource;
  return (cfg.ns > 1 ? 'enable subgroups;\n' : '') + SCAN_PARAMS.wgsl() + `const STATE_VEC4: u32 = ${stateVec4}u;\n` + consts + '\n' + stepConsts + commonSource + stepsSource + loader + lookbackSource;
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

  const diag = args.tuning?.diagnostic ? DIAG_BITS[args.tuning.diagnostic] : 0;
  const polyElems = scanPolyElems(args.tuning?.polyFraction ?? (variant === 'sequential' ? 0 : DEFAULT_POLY_FRACTION), stateVec4);
  const steps: StepOptions = { polyElems, diag, gate: GATE_FORMS[args.tuning?.gate ?? DEFAULT_GATE], softplus: SOFTPLUS_FORMS[args.tuning?.softplus ?? DEFAULT_SOFTPLUS] };
  const stepsKey = `poly=${polyElems}:diag=${diag}:gate=${steps.gate}:sp=${steps.softplus}`;

  if (variant === 'sequential') {
    const pipeline = engine.pipeline(`selective_scan_sequential:${variantKey}:${stepsKey}`, () => ({ code: shaderCode(sequentialSource, stateVec4, bcLoader, steps), constants: { WG: WG_D } }));
    engine.dispatch(() => `selective_scan_sequential(${size})`, pipeline, [u, delta, channels, bc, z, state, out], grid1d(batch * dBlocks, maxDim), uniforms);
    return out;
  }

  if (variant === 'lookback') {
    const cfg = lookbackConfig(dInner, dState, groups, limits, engine.report.features.subgroups, args.tuning?.lookback);
    if (typeof cfg === 'string') throw new KernelInputError(`selective_scan (lookback, ${size}): ${cfg}`);
    const chunks = Math.ceil(seqLen / cfg.chunk);
    const blocks = Math.ceil(dInner / cfg.cpw);
    const tiles = batch * chunks * blocks;
    // Aggregate and inclusive states (B, K, D, N), aggregate dt sums (B, K, D), the ticket counter.
    const slots = 2 * batch * chunks * dInner * dState + batch * chunks * dInner;
    const lb = scratchTensor(engine, 'selective_scan.lookback', slots + 1);
    const reset = engine.pipeline('selective_scan_lookback_reset', () => ({ code: LOOKBACK_RESET.wgsl('ResetParams') + lookbackResetSource, constants: { WG: 256 } }));
    engine.dispatch(() => `selective_scan_lookback_reset(${slots + 1} slots)`, reset, [lb], grid1d(Math.ceil((slots + 1) / 1024), maxDim), LOOKBACK_RESET.pack({ slots }));
    const key = `selective_scan_lookback:${variantKey}:cpw=${cfg.cpw}:ns=${cfg.ns}:sub=${cfg.sub}:cs=${cfg.cs}:stage=${cfg.stage ? 1 : 0}:${stepsKey}`;
    const pipeline = engine.pipeline(key, () => ({ code: lookbackShaderCode(cfg, stateVec4, bcLoader, steps) }));
    engine.dispatch(
      () => `selective_scan_lookback(${size}, chunk=${cfg.chunk}, ${cfg.cpw} channels·${cfg.ns} lanes·${cfg.sub} sub-chunks)`,
      pipeline,
      [u, delta, channels, bc, z, state, lb, out],
      grid1d(tiles, maxDim),
      SCAN_PARAMS.pack({ ...uniformValues, chunkLen: cfg.chunk, numChunks: chunks, dBlocks: blocks }),
    );
    return out;
  }

  const outputPipeline = (dt: DtMode) =>
    engine.pipeline(`selective_scan_chunk_output:${variantKey}:${passKey(outputCfg)}:${stepsKey}:dt=${dt}`, () => ({
      code: shaderCode(chunkOutputSource, stateVec4, bcLoader, steps, outputCfg, dt),
      constants: { WG: wgD },
    }));
  const passGrid = (c: PassConfig) => grid1d(batch * numChunks * Math.ceil(dInner / passChannels(c)), maxDim);
  const chunked = `${size}, chunk=${chunkLen}`;
  const only = args.tuning?.onlyPass;
  const runs = (pass: 'local' | 'carry' | 'output') => only === undefined || only === pass;
  if (numChunks === 1) {
    // One chunk: the output pass alone, reading the initial state from and writing the final state to `state`.
    if (runs('output')) engine.dispatch(() => `selective_scan_chunk_output(${chunked})`, outputPipeline('none'), [u, delta, channels, bc, z, state, out], passGrid(outputCfg), uniforms);
    return out;
  }
  const carry = scratchTensor(engine, 'selective_scan.carry', batch * numChunks * dState * dInner);
  const deltaSum = scratchTensor(engine, 'selective_scan.delta-sum', batch * numChunks * dInner);
  // In place: the local pass writes dt over delta, the output pass reads it (one invocation per channel
  // in the local pass, so the one that writes a token's dt is the one that read its delta).
  const inPlace = (args.deltaInPlace ?? false) && localCfg.ns === 1;
  const local = engine.pipeline(`selective_scan_chunk_local:${variantKey}:${passKey(localCfg)}:${stepsKey}:dt=${inPlace ? 'write' : 'none'}`, () => ({
    code: shaderCode(chunkLocalSource, stateVec4, bcLoader, steps, localCfg, inPlace ? 'write' : 'none'),
    constants: { WG: wgD },
  }));

  const carryPass = engine.pipeline('selective_scan_chunk_carry', () => ({ code: shaderCode(chunkCarrySource, 1, null, null), constants: { WG: WG_CARRY } }));
  if (runs('local')) engine.dispatch(() => `selective_scan_chunk_local(${chunked})`, local, [u, delta, channels, bc, carry, deltaSum], passGrid(localCfg), uniforms);
  if (runs('carry')) {
    engine.dispatch(
      () => `selective_scan_chunk_carry(${chunked})`,
      carryPass,
      [channels, deltaSum, carry, state],
      grid1d(Math.ceil((batch * dState * dInner) / WG_CARRY), maxDim),
      uniforms,
    );
  }
  if (runs('output')) engine.dispatch(() => `selective_scan_chunk_output(${chunked})`, outputPipeline(inPlace ? 'ready' : 'none'), [u, delta, channels, bc, z, carry, out], passGrid(outputCfg), uniforms);
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
