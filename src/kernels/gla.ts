// Gated linear attention (fla's GLA): per head a state h (K, V) with
//   h_t = diag(exp(gk_t)) h_{t-1} + k_tᵀ v_t,   o_t = (q_t · scale) h_t   (scale default K^-0.5).
// Inputs: q, k, gk (B, T, H·K) or (B, T, H, K), v (B, T, H·V) or (B, T, H, V); gk in log space (<= 0).
// Output o with v's shape; the state (B, H, K, V) is read as the initial state (when asked) and
// overwritten with the final state. Variants: 'recurrent' (one invocation per value column walking T
// steps: decode and the baseline) and 'chunked' (prefill: chunks of C steps as masked in-chunk products
// with decays relative to the chunk start, state carried between chunks; three dispatches).
// Decode of the GLA block in two kernels (then o_proj): glaInProjStep (pre-norm and the five input
// projections, one gemv) and glaStep (gate, state update, output, o_norm and swish gate).

import recurrentSource from '../../shaders/gla_recurrent.wgsl?raw';
import chunkStateSource from '../../shaders/gla_chunk_state.wgsl?raw';
import chunkScanSource from '../../shaders/gla_chunk_scan.wgsl?raw';
import chunkOutputSource from '../../shaders/gla_chunk_output.wgsl?raw';
import gateSource from '../../shaders/gla_gate.wgsl?raw';
import inProjStepSource from '../../shaders/gla_in_proj_step.wgsl?raw';
import stepSource from '../../shaders/gla_step.wgsl?raw';
import type { Engine } from '../engine/engine';
import { grid1d } from '../engine/engine';
import { GpuLimitError, KernelInputError } from '../engine/errors';
import { Tensor, shapeToString } from '../engine/tensor';
import { defineUniforms } from '../engine/uniforms';
import type { MemoryCategory } from '../engine/allocator';
import { scratchTensor } from './scratch-pool';
import { gemvConfig, gemvKey, gemvShaderCode, type GemvNorm } from './matmul';
import { formatsKey, storageFormatOf } from './storage-read';

export const GLA_PARAMS = defineUniforms([
  ['B', 'u32'],
  ['T', 'u32'],
  ['H', 'u32'],
  ['K', 'u32'],
  ['V', 'u32'],
  ['N', 'u32'],
  ['C', 'u32'],
  ['useInit', 'u32'],
  ['scale', 'f32'],
] as const);

export type GlaVariant = 'chunked' | 'recurrent';

export interface GlaDims {
  B: number;
  T: number;
  H: number;
  K: number;
  V: number;
}

export interface GlaOptions {
  /** Heads H (needed when inputs are (B, T, H·K); read from dim 2 of 4-D inputs otherwise). */
  heads?: number;
  /** Default K^-0.5. */
  scale?: number;
  /** State (B, H, K, V): the initial state when `initialState` (default true when given); receives the final state. */
  state?: Tensor;
  initialState?: boolean;
  /** Default 'chunked' when T > 1, 'recurrent' for one step. */
  variant?: GlaVariant;
  out?: Tensor;
  category?: MemoryCategory;
  label?: string;
}

export function glaDims(q: Tensor, k: Tensor, v: Tensor, gk: Tensor, heads?: number): GlaDims {
  const H = heads ?? (q.shape.length === 4 ? q.shape[2] : undefined);
  if (H === undefined) throw new KernelInputError(`gla: q ${shapeToString(q.shape)} is (B, T, H·K); pass the number of heads`);
  const width = (t: Tensor) => t.shape.slice(2).reduce((a, d) => a * d, 1);
  if (q.shape.length < 3) throw new KernelInputError(`gla: q ${shapeToString(q.shape)} is not (B, T, H, K)`);
  const [B, T] = q.shape;
  if (width(q) % H !== 0) throw new KernelInputError(`gla: q ${shapeToString(q.shape)} does not split into ${H} heads`);
  const K = width(q) / H;
  for (const [name, t] of [['k', k], ['gk', gk]] as const) {
    if (t.shape[0] !== B || t.shape[1] !== T || width(t) !== H * K) {
      throw new KernelInputError(`gla: ${name} ${shapeToString(t.shape)} does not match q ${shapeToString(q.shape)}`);
    }
  }
  if (v.shape[0] !== B || v.shape[1] !== T || v.shape.length < 3 || width(v) % H !== 0) {
    throw new KernelInputError(`gla: v ${shapeToString(v.shape)} is not (B=${B}, T=${T}, H·V) with H=${H}`);
  }
  return { B, T, H, K, V: width(v) / H };
}

function kpad(K: number): number {
  if (K > 256) throw new KernelInputError(`gla: key head dim ${K} exceeds the kernels' 256`);
  return K <= 32 ? 32 : K <= 64 ? 64 : K <= 128 ? 128 : 256;
}

/** Chunk length for key head dim bucket KPAD within the workgroup memory limit (about 64). */
export function glaChunkSize(KPAD: number, workgroupStorageBytes: number): number {
  for (const C of [64, 32, 16, 8]) if (4 * (C * KPAD + C * C) <= workgroupStorageBytes) return C;
  throw new GpuLimitError(`gla: key head dim ${KPAD} needs more workgroup memory than ${workgroupStorageBytes} bytes`, 'maxComputeWorkgroupStorageSize', 4 * 8 * (KPAD + 8), workgroupStorageBytes);
}

export function gla(engine: Engine, q: Tensor, k: Tensor, v: Tensor, gk: Tensor, opts: GlaOptions = {}): { o: Tensor; state: Tensor } {
  const d = glaDims(q, k, v, gk, opts.heads);
  const { B, T, H, K, V } = d;
  const KPAD = kpad(K);
  const scale = opts.scale ?? 1 / Math.sqrt(K);
  const state = opts.state ?? engine.tensor([B, H, K, V], opts.category ?? 'activations', 'gla.state');
  if (state.numel !== B * H * K * V) throw new KernelInputError(`gla: state ${state} is not (B=${B}, H=${H}, K=${K}, V=${V})`);
  const useInit = opts.state ? (opts.initialState ?? true) : false;
  const o = opts.out ?? engine.tensor(v.shape, opts.category ?? 'activations', opts.label ?? 'gla.o');
  if (o.numel !== v.numel) throw new KernelInputError(`gla: out ${o} does not hold v's shape ${shapeToString(v.shape)}`);
  const variant = opts.variant ?? (T > 1 ? 'chunked' : 'recurrent');
  const dims = `B=${B}, T=${T}, H=${H}, K=${K}, V=${V}`;
  const maxDim = engine.report.limits.maxComputeWorkgroupsPerDimension;
  if (T === 0) {
    if (!useInit) engine.write(state, new Float32Array(state.numel));
    return { o, state };
  }
  if (variant === 'recurrent') {
    const WG = 64;
    const pipeline = engine.pipeline(`gla_recurrent:K${KPAD}`, () => ({
      code: GLA_PARAMS.wgsl() + `const KPAD: u32 = ${KPAD}u;\nconst WG: u32 = ${WG}u;\n` + recurrentSource,
    }));
    const uniforms = GLA_PARAMS.pack({ B, T, H, K, V, N: 1, C: T, useInit: useInit ? 1 : 0, scale });
    engine.dispatch(() => `gla_recurrent(${dims})`, pipeline, [q, k, v, gk, state, o], [Math.ceil(V / WG), H, B], uniforms);
    return { o, state };
  }
  const C = glaChunkSize(KPAD, engine.report.limits.maxComputeWorkgroupStorageSize);
  const N = Math.ceil(T / C);
  const WG = 256;
  // Pooled 'scratch': cumulative decays (B, T, H, K) and per-chunk states (B, H, N, K, V).
  const bcum = scratchTensor(engine, 'gla.decay_cumsum', B * T * H * K);
  const hbuf = scratchTensor(engine, 'gla.chunk_states', B * H * N * K * V);
  const uniforms = GLA_PARAMS.pack({ B, T, H, K, V, N, C, useInit: useInit ? 1 : 0, scale });
  const consts = `const C: u32 = ${C}u;\nconst KPAD: u32 = ${KPAD}u;\nconst WG: u32 = ${WG}u;\n`;
  const p1 = engine.pipeline(`gla_chunk_state:K${KPAD}:C${C}`, () => ({ code: GLA_PARAMS.wgsl() + consts + chunkStateSource }));
  const p2 = engine.pipeline('gla_chunk_scan', () => ({ code: GLA_PARAMS.wgsl() + chunkScanSource, constants: { WG } }));
  const p3 = engine.pipeline(`gla_chunk_output:K${KPAD}:C${C}`, () => ({ code: GLA_PARAMS.wgsl() + consts + chunkOutputSource }));
  engine.dispatch(() => `gla_chunk_state(${dims}, C=${C})`, p1, [k, v, gk, bcum, hbuf], [N, H, B], uniforms);
  engine.dispatch(() => `gla_chunk_scan(${dims}, C=${C})`, p2, [bcum, hbuf, state], grid1d(Math.ceil((B * H * K * V) / WG), maxDim), uniforms);
  engine.dispatch(() => `gla_chunk_output(${dims}, C=${C})`, p3, [q, k, v, bcum, hbuf, o], [N, H, B], uniforms);
  return { o, state };
}

const GATE_PARAMS = defineUniforms([
  ['n', 'u32'],
  ['width', 'u32'],
  ['invNormalizer', 'f32'],
] as const);

/** gk = logsigmoid(a + bias) / normalizer (fla's GLA gate, normalizer 16); bias (width) broadcast over a's rows. */
export function glaGate(engine: Engine, a: Tensor, bias: Tensor, normalizer: number, opts: { out?: Tensor; category?: MemoryCategory; label?: string } = {}): Tensor {
  const width = bias.numel;
  if (width === 0 || a.numel % width !== 0) throw new KernelInputError(`gla gate: bias ${bias} does not broadcast over ${a}`);
  const out = opts.out ?? engine.tensor(a.shape, opts.category ?? 'activations', opts.label ?? 'gla.gk');
  if (out.numel !== a.numel) throw new KernelInputError(`gla gate: out ${out} does not match ${a}`);
  const WG = 256;
  const pipeline = engine.pipeline('gla_gate', () => ({ code: GATE_PARAMS.wgsl() + gateSource, constants: { WG } }));
  engine.dispatch(() => `gla_gate(n=${a.numel})`, pipeline, [a, bias, out], grid1d(Math.ceil(a.numel / WG), engine.report.limits.maxComputeWorkgroupsPerDimension), GATE_PARAMS.pack({ n: a.numel, width, invNormalizer: 1 / normalizer }));
  return out;
}

const IN_PROJ_STEP_PARAMS = defineUniforms([
  ['M', 'u32'],
  ['K', 'u32'],
  ['N', 'u32'],
  ['lda', 'u32'],
  ['aOffset', 'u32'],
  ['eps', 'f32'],
  ['seg1', 'u32'],
  ['seg2', 'u32'],
  ['seg3', 'u32'],
  ['seg4', 'u32'],
] as const);

export interface GlaInProjStepArgs {
  /** (B, 1, d). */
  x: Tensor;
  /** The block's pre-norm (RMSNorm over d), fused into the projections. */
  norm?: GemvNorm;
  /** q_proj (keyDim, d), k_proj (keyDim, d), v_proj (valueDim, d), g_proj (valueDim, d), gk_proj.0 (R, d). */
  weights: [Tensor, Tensor, Tensor, Tensor, Tensor];
  /** (B, 1, 2·keyDim + 2·valueDim + R) = [q | k | v | g | gk_low]. */
  out: Tensor;
}

/** GLA decode's input projections in one dispatch: out = [q | k | v | g | gk_low] of RMSNorm?(x) (shaders/gla_in_proj_step.wgsl). */
export function glaInProjStep(engine: Engine, p: GlaInProjStepArgs): Tensor {
  const d = p.x.shape[p.x.shape.length - 1];
  const rows = d > 0 ? p.x.numel / d : 0;
  const starts: number[] = [];
  let N = 0;
  for (const w of p.weights) {
    if (w.shape.length !== 2 || w.shape[1] !== d) throw new KernelInputError(`gla_in_proj_step: weight ${w} must be (N, d = ${d})`);
    starts.push(N);
    N += w.shape[0];
  }
  if (p.out.numel !== rows * N) throw new KernelInputError(`gla_in_proj_step: out ${shapeToString(p.out.shape)} must hold (B, ${N}) = (${rows}, ${N})`);
  if (p.norm && p.norm.weight.numel !== d) throw new KernelInputError(`gla_in_proj_step: norm weight ${p.norm.weight} does not match d = ${d}`);
  if (rows === 0) return p.out;
  const config = gemvConfig(engine, rows, d, N, d % 4 === 0);
  const formats = p.weights.map((w) => storageFormatOf(w, 'gla_in_proj_step'));
  const pipeline = engine.pipeline(gemvKey('gla_in_proj_step', config, `${p.norm ? ':norm' : ''}${formatsKey(formats)}`), () => ({
    code: gemvShaderCode(
      config,
      IN_PROJ_STEP_PARAMS,
      inProjStepSource,
      ['q', 'k', 'v', 'g', 'gk'].map((n, i) => ({ binding: 3 + i, name: `W${n}`, fn: `load_w${n}`, format: formats[i] })),
    ),
    constants: { NORM: p.norm ? 1 : 0 },
  }));
  const [wq, wk, wv, wg, wgk] = p.weights;
  engine.dispatch(
    () => `${p.norm ? 'rmsnorm+' : ''}gla_in_proj_step(rows=${rows}, d=${d}, N=${p.weights.map((w) => w.shape[0]).join('+')})`,
    pipeline,
    [p.x, p.norm?.weight ?? p.x, wq, wk, wv, wg, wgk, p.out],
    grid1d(Math.ceil(N / config.rows), engine.report.limits.maxComputeWorkgroupsPerDimension),
    IN_PROJ_STEP_PARAMS.pack({ M: rows, K: d, N, lda: d, aOffset: 0, eps: p.norm?.eps ?? 0, seg1: starts[1], seg2: starts[2], seg3: starts[3], seg4: starts[4] }),
  );
  return p.out;
}

const STEP_PARAMS = defineUniforms([
  ['B', 'u32'],
  ['H', 'u32'],
  ['K', 'u32'],
  ['V', 'u32'],
  ['R', 'u32'],
  ['width', 'u32'],
  ['qOff', 'u32'],
  ['kOff', 'u32'],
  ['vOff', 'u32'],
  ['gOff', 'u32'],
  ['lowOff', 'u32'],
  ['scale', 'f32'],
  ['invNormalizer', 'f32'],
  ['eps', 'f32'],
] as const);

/** Largest key head dim glaStep takes (its workgroup memory holds q, k and the decay of one head). */
export const GLA_STEP_MAX_K = 256;

export interface GlaStepArgs {
  /** (B, 1, 2·H·K + 2·H·V + R) = [q | k | v | g | gk_low] (glaInProjStep's output). */
  proj: Tensor;
  heads: number;
  /** Key and value head dims. */
  headK: number;
  headV: number;
  /** gk_proj.1.weight (H·K, R) and gk_proj.1.bias (H·K). */
  gateWeight: Tensor;
  gateBias: Tensor;
  /** gk = logsigmoid(logits) / gateNormalizer. */
  gateNormalizer: number;
  /** o_norm.weight (V) and its epsilon. */
  normWeight: Tensor;
  eps: number;
  /** (B, H, K, V), updated in place. */
  state: Tensor;
  /** Default K^-0.5. */
  scale?: number;
  /** (B, 1, H·V). */
  out: Tensor;
}

/**
 * State rows gla_step loads before it stores any of them. One at a time (the kernel before), each row
 * waited for the previous row's store: the compiler cannot move a load of the state above a store to it.
 */
const GLA_STEP_ROWS = 8;

/** One GLA decode step after the projections, in one dispatch (shaders/gla_step.wgsl): out = o_norm(o) · silu(g). */
export function glaStep(engine: Engine, p: GlaStepArgs): Tensor {
  const { heads: H, headK: K, headV: V } = p;
  if (!(K >= 1 && K <= GLA_STEP_MAX_K)) throw new KernelInputError(`gla_step: key head dim ${K} must be in [1, ${GLA_STEP_MAX_K}]`);
  if (p.gateWeight.shape.length !== 2 || p.gateWeight.shape[0] !== H * K) throw new KernelInputError(`gla_step: gate weight ${p.gateWeight} must be (H·K = ${H * K}, R)`);
  const R = p.gateWeight.shape[1];
  const width = 2 * H * K + 2 * H * V + R;
  const B = p.proj.numel / width;
  if (!Number.isInteger(B) || p.proj.shape[p.proj.shape.length - 1] !== width) throw new KernelInputError(`gla_step: proj ${shapeToString(p.proj.shape)} must be (B, 1, ${width}) = [q | k | v | g | gk_low]`);
  if (p.gateBias.numel !== H * K) throw new KernelInputError(`gla_step: gate bias ${p.gateBias} must be (H·K = ${H * K})`);
  if (p.normWeight.numel !== V) throw new KernelInputError(`gla_step: norm weight ${p.normWeight} must be (V = ${V})`);
  if (p.state.numel !== B * H * K * V) throw new KernelInputError(`gla_step: state ${p.state} is not (B=${B}, H=${H}, K=${K}, V=${V})`);
  if (p.out.numel !== B * H * V) throw new KernelInputError(`gla_step: out ${shapeToString(p.out.shape)} must hold (B, H·V) = (${B}, ${H * V})`);
  if (B === 0) return p.out;
  const maxWg = Math.min(256, engine.report.limits.maxComputeInvocationsPerWorkgroup, engine.report.limits.maxComputeWorkgroupSizeX);
  let WG = 32;
  while (WG < V && WG * 2 <= maxWg) WG *= 2;
  const pipeline = engine.pipeline(`gla_step:wg${WG}`, () => ({
    code: STEP_PARAMS.wgsl() + `const KMAX: u32 = ${GLA_STEP_MAX_K}u;\nconst SU: u32 = ${GLA_STEP_ROWS}u;\n` + stepSource,
    constants: { WG },
  }));
  const kd = H * K;
  const vd = H * V;
  const uniforms = STEP_PARAMS.pack({
    B, H, K, V, R, width,
    qOff: 0, kOff: kd, vOff: 2 * kd, gOff: 2 * kd + vd, lowOff: 2 * kd + 2 * vd,
    scale: p.scale ?? 1 / Math.sqrt(K),
    invNormalizer: 1 / p.gateNormalizer,
    eps: p.eps,
  });
  engine.dispatch(() => `gla_step(B=${B}, H=${H}, K=${K}, V=${V}, R=${R})`, pipeline, [p.proj, p.gateWeight, p.gateBias, p.normWeight, p.state, p.out], [H, B], uniforms);
  return p.out;
}
