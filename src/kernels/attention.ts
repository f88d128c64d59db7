// Softmax attention forward with an optional fused sigmoid output gate.
// Dimensions: B batch, H query heads, Hkv key/value heads (H a multiple of Hkv), L queries, S keys, E head dim.
// Operands are strided head views (see HeadView): (B, H, L, E) "heads first", (B, L, H·E) "tokens first"
// (what the q/k/v projections produce), or a KV cache (B, Hkv, capacity, E) of which the first S positions
// are valid. Causal masking is bottom-right aligned (query i sees keys j <= i + S - L), so one decode query
// attends the whole cache. Gate: (B, H, L, E) elementwise or (B, H, L, 1) per head (as views, so a
// (B, L, H·E) or (B, L, H) projection output works too).
// Variants: 'flash' (the default: 'decode' for one query, else 'flash-tiled'), 'flash-tiled' (tiles through
// workgroup memory, online softmax; no score matrix in GPU memory; register-tiled for E <= 64, the wide-head
// kernel above), 'decode' (one query against the keys split over many workgroups, then a log-sum-exp combine;
// grouped heads share the K/V reads) and 'naive' (materializes the (B, H, L, S) scores in a 'scratch'
// buffer; the baseline).
// Keys and values are float32 or fp16 halves (an fp16 KV cache), each read through storage-read.ts in every
// variant; q, the gate and the output are float32.
// Growing keys (opts.growing: the keys are a KV cache's valid prefix, one position longer every token): the
// uniform field S is declared positional, so a captured decode step replays at later positions with S
// rewritten (Engine.capture/replay); while capturing, the decode kernel's split is planned for the cache's
// capacity (splits past S take no keys), so the captured workgroup counts and partials buffer serve every
// length up to it.

import flashSource from '../../shaders/attention_flash.wgsl?raw';
import flashWideSource from '../../shaders/attention_flash_wide.wgsl?raw';
import decodeSource from '../../shaders/attention_decode.wgsl?raw';
import naiveSource from '../../shaders/attention_naive.wgsl?raw';
import type { Engine } from '../engine/engine';
import { grid1d } from '../engine/engine';
import { GpuLimitError, KernelInputError } from '../engine/errors';
import { Tensor, shapeToString } from '../engine/tensor';
import { defineUniforms } from '../engine/uniforms';
import type { MemoryCategory } from '../engine/allocator';
import { scratchTensor } from './scratch-pool';
import { unrollLines } from './unroll-lines';
import { residencyCode } from './residency';
import { formatsKey, storageFormatOf, storageReaderWgsl, type StorageFormat } from './storage-read';

export const ATTENTION_PARAMS = defineUniforms([
  ['B', 'u32'],
  ['H', 'u32'],
  ['Hkv', 'u32'],
  ['L', 'u32'],
  ['S', 'u32'],
  ['E', 'u32'],
  ['causal', 'u32'],
  ['gateKind', 'u32'],
  ['scale', 'f32'],
  ['qSB', 'u32'],
  ['qSH', 'u32'],
  ['qSL', 'u32'],
  ['kSB', 'u32'],
  ['kSH', 'u32'],
  ['kSL', 'u32'],
  ['vSB', 'u32'],
  ['vSH', 'u32'],
  ['vSL', 'u32'],
  ['gSB', 'u32'],
  ['gSH', 'u32'],
  ['gSL', 'u32'],
  ['oSB', 'u32'],
  ['oSH', 'u32'],
  ['oSL', 'u32'],
] as const);

export const ATTENTION_DECODE_PARAMS = defineUniforms([
  ...ATTENTION_PARAMS.fields.map((f) => [f.name, f.type] as const),
  ['chunk', 'u32'],
  ['nSplit', 'u32'],
] as const);

/**
 * A strided view of a tensor as (batch, heads, length, dim): element (b, h, p, e) is at
 * b·strides.batch + h·strides.head + p·strides.pos + e (e contiguous).
 */
export interface HeadView {
  tensor: Tensor;
  batch: number;
  heads: number;
  length: number;
  dim: number;
  strides: { batch: number; head: number; pos: number };
}

/** A (B, H, L, E) tensor as a head view. */
export function headsFirst(t: Tensor): HeadView {
  if (t.shape.length !== 4) throw new KernelInputError(`attention: ${t.label} ${shapeToString(t.shape)} is not (B, H, L, E)`);
  const [B, H, L, E] = t.shape;
  return { tensor: t, batch: B, heads: H, length: L, dim: E, strides: { batch: H * L * E, head: L * E, pos: E } };
}

/** A (B, L, H·E) or (B, L, H, E) tensor as a head view of `heads` heads. */
export function tokensFirst(t: Tensor, heads: number): HeadView {
  const [B, L] = t.shape;
  const width = t.shape.slice(2).reduce((a, d) => a * d, 1);
  if (t.shape.length < 3 || width % heads !== 0) {
    throw new KernelInputError(`attention: ${t.label} ${shapeToString(t.shape)} is not (B, L, H·E) with H=${heads}`);
  }
  const E = width / heads;
  return { tensor: t, batch: B, heads, length: L, dim: E, strides: { batch: L * width, head: E, pos: width } };
}

/** The first `length` positions of a view (a KV cache holding fewer positions than its capacity). */
export function prefixView(v: HeadView, length: number): HeadView {
  if (length > v.length) throw new KernelInputError(`attention: prefix of ${length} positions exceeds ${v.tensor.label}'s ${v.length}`);
  return { ...v, length };
}

export type AttentionVariant = 'flash' | 'flash-tiled' | 'decode' | 'naive';
export type GateKind = 'none' | 'elementwise' | 'headwise';

export interface AttentionOptions {
  causal?: boolean;
  /** Default E^-0.5. */
  scale?: number;
  /** Sigmoid output gate: a view with dim E (elementwise) or dim 1 (per head), H heads, L positions. */
  gate?: HeadView;
  variant?: AttentionVariant;
  /** Output layout when `out` is not given: (B, H, L, E) or (B, L, H·E). Default 'heads-first'. */
  outLayout?: 'heads-first' | 'tokens-first';
  /** Write into this view (B, H, L, E) instead of allocating. */
  out?: HeadView;
  /** Naive variant: a buffer of at least B·H·L·S scores (default: the engine's pooled 'scratch' buffer). */
  scratch?: Tensor;
  category?: MemoryCategory;
  label?: string;
  /**
   * The keys are the valid prefix of a cache of `capacity` positions that grows by one per decoded token:
   * S is a positional uniform field (see Engine.dispatch), and while capturing the decode split is planned
   * for `capacity` keys.
   */
  growing?: { capacity: number };
  /**
   * Flash kernel (E <= 64): load each key tile's K and V one tile ahead into registers (true), or where
   * they are stored (false, fewer live registers; the default, FLASH_PREFETCH). Benchmarks.
   */
  flashPrefetch?: boolean;
  /**
   * Flash kernel (E <= 64): stage Q and V in workgroup memory ('staged') or read them straight from their
   * buffers through the cache ('direct': less workgroup memory, more workgroups per SM; needs E and the Q/V
   * strides multiples of 4, else staged). Default: direct from FLASH_DIRECT_MIN_KEYS keys.
   */
  flashOperands?: FlashOperands;
  /**
   * Benchmarks only, flash kernel (E <= 64): leave out one part to time the rest (wrong results): the
   * score fmas, the P·V fmas, the exp2 of the softmax, or both matmuls.
   */
  flashDiagnostic?: FlashDiagnostic;
  /** Flash kernel (E <= 64): vec4 of P per step of the P·V loop, loads issued first (1, 2 or 4; default FLASH_PV_UNROLL of the form). Benchmarks. */
  flashPvUnroll?: number;
  /**
   * Benchmarks, flash kernel (E <= 64) only: a tensor of 2 values zeroed by the caller, read as u32
   * afterwards: [workgroups running now (0 after), the most that ran at once].
   */
  residency?: Tensor;
}

const BQ = 64;

/**
 * Whether the flash kernel (E <= 64) loads each key tile one tile ahead by default. No: on an H200
 * (docs/measurements/h200/run-2026-12-02c/flash-prefetch/, one run) the 64×64 tiles ran at 14.5 TFLOP/s
 * without against 12.1 with, at L=4096 (B=1 H=16 E=64, causal). One workgroup was resident per SM
 * either way (its tiles take 48 KiB of workgroup memory, and the resident counts of every kernel measured
 * there fit about 48 KiB per SM), so fewer live registers cost nothing in occupancy and the loads ahead
 * bought less than they cost.
 */
export const FLASH_PREFETCH = false;
/**
 * Vec4 of P per step of the flash kernel's P·V loop (AttentionOptions.flashPvUnroll) by operand form, every
 * load of a step issued before its fmas. On an H200 (docs/measurements/h200/run-2026-12-02h/
 * attention-shapes.*, B=1 H=16 E=64 causal, L=16384, one run): direct 21.2 TFLOP/s with 2 against 18.7
 * with 1 and 15.3 with 4 (132 workgroups resident instead of 264); staged 17.6 with 2, 18.3 with 4, 17.9
 * with 1. The direct form reads V through the cache in that loop, and two vec4 of P per step keep more of
 * those loads in flight.
 */
export const FLASH_PV_UNROLL: Readonly<Record<'direct' | 'staged', number>> = { direct: 2, staged: 1 };
/**
 * Keys from which the flash kernel reads Q and V straight from their buffers by default
 * (AttentionOptions.flashOperands). On an H200 (B=1 H=16 E=64, causal), with the direct form's two vec4 of P
 * per P·V step (FLASH_PV_UNROLL), direct against staged in the kernel benchmark: 0.94x at L = S = 1024,
 * 1.07x at 4096, 1.16x at 16384, with 256-264 workgroups resident instead of 132
 * (docs/measurements/h200/run-2026-12-02h/pv-step). In whole models (run-2026-12-02h/model-ab, prefill of
 * the four attention presets at 2048-16384, builds alternated twice) reading directly from 4096 keys
 * against from 16384: the same at 2048 and 4096 within the spread, 1-7% faster at 8192 (Transformer 111.0
 * / 111.2 ms against 120.0 / 116.5). Before that step the staged form was 2-7% faster at 4096 and 8192
 * (run-2026-12-02g/model-ab).
 */
export const FLASH_DIRECT_MIN_KEYS = 4096;

/**
 * Tiles of the register-tiled flash kernel (E <= 64) on a device: CT = D4 invocations per query row (one vec4
 * column of the head dim each), RT row groups of TM rows (BQ = TM·RT queries), BK keys per tile (KN per
 * invocation). Null for wider heads (the wide-head kernel) or when nothing fits.
 */
let tilePreference: FlashTileShape[] | null = null;

/** A flash tile shape: [RT, KN] (TM = 4 query rows per invocation) or [RT, KN, TM]. */
export type FlashTileShape = [number, number] | [number, number, number];

/** Benchmarks: try these tile shapes first (null restores the default order). */
export function setFlashTilePreference(prefs: FlashTileShape[] | null): void {
  tilePreference = prefs;
}

/** Parts the flash kernel can leave out for timing (AttentionOptions.flashDiagnostic; wrong results). */
export type FlashDiagnostic = 'no-scores' | 'no-pv' | 'no-exp' | 'no-matmuls';
const FLASH_DIAG_CODE: Record<FlashDiagnostic, number> = { 'no-scores': 1, 'no-pv': 2, 'no-exp': 3, 'no-matmuls': 4 };

/** Where the flash kernel reads Q and V from (AttentionOptions.flashOperands). */
export type FlashOperands = 'staged' | 'direct';

export function flashTileConfig(E: number, limits: { maxComputeWorkgroupStorageSize: number; maxComputeInvocationsPerWorkgroup: number }, operands: FlashOperands = 'staged') {
  const direct = operands === 'direct';
  if (E > 64) return null;
  const DPAD = E <= 32 ? 32 : 64;
  const D4 = DPAD / 4;
  const CT = D4;
  // Preference: 64 queries × 64 keys (4 × 4 register tiles), then smaller tiles for smaller devices.
  const prefs: FlashTileShape[] = [...(tilePreference ?? []), [16, 4], [16, 8], [32, 4], [16, 2], [8, 4], [8, 2], [8, 1], [4, 2], [4, 1]];
  for (const [RT, KN, TM = 4] of prefs) {
    const WG = RT * CT;
    const BQt = TM * RT;
    const BK = KN * CT;
    if (WG > limits.maxComputeInvocationsPerWorkgroup || BK % 4 !== 0) continue;
    const KP_LEN = Math.max(BK * D4, (BQt * BK) / 4);
    // DIRECT: no Q tile, and vS holds only the row partials (BQ·CT floats).
    const QS_LEN = direct ? 1 : BQt * D4;
    const V_LEN = direct ? Math.ceil((BQt * CT) / 4) : BK * D4;
    if (V_LEN * 4 < BQt * CT) continue;
    const storageBytes = 16 * (QS_LEN + KP_LEN + V_LEN);
    if (storageBytes > limits.maxComputeWorkgroupStorageSize) continue;
    return { DPAD, D4, CT, TM, RT, BQ: BQt, BK, KN, WG, QS_LEN, KP_LEN, V_LEN, LD: Math.ceil((BK * D4) / WG), storageBytes, direct };
  }
  return null;
}

/** WGSL for q_direct / v_direct of the flash kernel: Q and V bound again as vec4 arrays (V in its format), or stand-ins. */
function flashDirectCode(direct: boolean, vFormat: StorageFormat): string {
  return direct
    ? '@group(0) @binding(6) var<storage, read> Q4: array<vec4<f32>>;\nfn q_direct(at: u32) -> vec4<f32> { return Q4[at]; }\n' +
        storageReaderWgsl({ binding: 7, name: 'V4', fn: 'v_direct', format: vFormat, element: 'vec4' })
    : 'fn q_direct(at: u32) -> vec4<f32> { return vec4<f32>(0.0); }\nfn v_direct(at: u32) -> vec4<f32> { return vec4<f32>(0.0); }\n';
}

/** WGSL of the K and V bindings (2, 3) and their readers: read_k / read_v by element, or read_k4 / read_v4 by vec4 (K4, V4). */
function kvReaderCode(kFormat: StorageFormat, vFormat: StorageFormat, element: 'f32' | 'vec4'): string {
  const v4 = element === 'vec4' ? '4' : '';
  return (
    storageReaderWgsl({ binding: 2, name: `K${v4}`, fn: `read_k${v4}`, format: kFormat, element }) +
    storageReaderWgsl({ binding: 3, name: `V${v4}`, fn: `read_v${v4}`, format: vFormat, element })
  );
}

/** Head-dim bucket, split and key-tile size of the wide-head flash kernel for head dim E on this device. */
export function flashConfig(E: number, workgroupStorageBytes: number): { DPAD: number; SPLIT: number; SL: number; BK: number; WG: number; storageBytes: number } {
  if (E > 256) throw new KernelInputError(`attention: head dim ${E} exceeds the flash kernel's 256`);
  const DPAD = E <= 32 ? 32 : E <= 64 ? 64 : E <= 128 ? 128 : 256;
  const SPLIT = DPAD <= 64 ? 1 : DPAD / 64;
  const SL = DPAD / SPLIT;
  const WG = BQ * SPLIT;
  for (const BK of [32, 16, 8, 4]) {
    const partial = SPLIT > 1 ? BK * WG : 1;
    const storageBytes = 4 * (2 * BK * DPAD + partial);
    if (storageBytes <= workgroupStorageBytes) return { DPAD, SPLIT, SL, BK, WG, storageBytes };
  }
  throw new GpuLimitError(
    `attention: head dim ${E} needs more workgroup memory than this GPU's ${workgroupStorageBytes} bytes`,
    'maxComputeWorkgroupStorageSize',
    4 * (2 * 4 * DPAD),
    workgroupStorageBytes,
  );
}

/** The uniform fields of the views' strides (batch, head, position), shared by the attention kernels. */
function viewStrides(q: HeadView, k: HeadView, v: HeadView, gate: HeadView | undefined, out: HeadView) {
  return {
    qSB: q.strides.batch, qSH: q.strides.head, qSL: q.strides.pos,
    kSB: k.strides.batch, kSH: k.strides.head, kSL: k.strides.pos,
    vSB: v.strides.batch, vSH: v.strides.head, vSL: v.strides.pos,
    gSB: gate?.strides.batch ?? 0, gSH: gate?.strides.head ?? 0, gSL: gate?.strides.pos ?? 0,
    oSB: out.strides.batch, oSH: out.strides.head, oSL: out.strides.pos,
  };
}

function viewSpan(v: HeadView): number {
  if (v.batch === 0 || v.heads === 0 || v.length === 0) return 0;
  return (v.batch - 1) * v.strides.batch + (v.heads - 1) * v.strides.head + (v.length - 1) * v.strides.pos + v.dim;
}

function checkView(name: string, v: HeadView): void {
  if (viewSpan(v) > v.tensor.numel) {
    throw new KernelInputError(`attention: ${name} view (${v.batch}, ${v.heads}, ${v.length}, ${v.dim}) reaches past ${v.tensor} `);
  }
}

export interface AttentionShape {
  B: number;
  H: number;
  Hkv: number;
  L: number;
  S: number;
  E: number;
}

export function attentionShape(q: HeadView, k: HeadView, v: HeadView, gate?: HeadView): AttentionShape {
  const { batch: B, heads: H, length: L, dim: E } = q;
  const [Hkv, S] = [k.heads, k.length];
  const desc = (x: HeadView) => `(B=${x.batch}, heads=${x.heads}, len=${x.length}, E=${x.dim})`;
  if (k.batch !== B || v.batch !== B) throw new KernelInputError(`attention: batch of q ${desc(q)}, k ${desc(k)} and v ${desc(v)} differ`);
  if (k.dim !== E || v.dim !== E) throw new KernelInputError(`attention: head dim of q ${desc(q)}, k ${desc(k)} and v ${desc(v)} differ`);
  if (v.heads !== Hkv || v.length !== S) throw new KernelInputError(`attention: k ${desc(k)} and v ${desc(v)} differ in heads or length`);
  if (Hkv === 0 || H % Hkv !== 0) throw new KernelInputError(`attention: q heads ${H} is not a multiple of k/v heads ${Hkv}`);
  if (gate) {
    if (gate.batch !== B || gate.heads !== H || gate.length !== L || (gate.dim !== E && gate.dim !== 1)) {
      throw new KernelInputError(`attention: gate ${desc(gate)} is neither (B, H, L, E) nor (B, H, L, 1) for q ${desc(q)}`);
    }
  }
  for (const [n, x] of [['q', q], ['k', k], ['v', v]] as const) checkView(n, x);
  if (gate) checkView('gate', gate);
  for (const [n, x] of [['q', q], ['gate', gate]] as const) {
    if (x && x.tensor.dtype !== 'f32') throw new KernelInputError(`attention: ${n} ${x.tensor} must be float32 (only keys and values may be fp16)`);
  }
  return { B, H, Hkv, L, S, E };
}

export function attention(engine: Engine, q: HeadView, k: HeadView, v: HeadView, opts: AttentionOptions = {}): Tensor {
  const s = attentionShape(q, k, v, opts.gate);
  const { B, H, Hkv, L, S, E } = s;
  const kFormat = storageFormatOf(k.tensor, 'attention', 'keys');
  const vFormat = storageFormatOf(v.tensor, 'attention', 'values');
  const kvKey = formatsKey([kFormat, vFormat]);
  const variant = opts.variant ?? 'flash';
  const causal = opts.causal ?? true;
  const scale = opts.scale ?? 1 / Math.sqrt(E);
  let out: HeadView;
  let outTensor: Tensor;
  if (opts.out) {
    out = opts.out;
    if (out.batch !== B || out.heads !== H || out.length !== L || out.dim !== E) throw new KernelInputError(`attention: out view does not hold (${B}, ${H}, ${L}, ${E})`);
    checkView('out', out);
    outTensor = out.tensor;
  } else if (opts.outLayout === 'tokens-first') {
    outTensor = engine.tensor([B, L, H * E], opts.category ?? 'activations', opts.label ?? 'attention.out');
    out = tokensFirst(outTensor, H);
  } else {
    outTensor = engine.tensor([B, H, L, E], opts.category ?? 'activations', opts.label ?? 'attention.out');
    out = headsFirst(outTensor);
  }
  const gate = opts.gate;
  const gateKind = !gate ? 0 : gate.dim === E && E !== 1 ? 1 : 2;
  const uniforms = ATTENTION_PARAMS.pack({
    B, H, Hkv, L, S, E,
    causal: causal ? 1 : 0,
    gateKind,
    scale,
    ...viewStrides(q, k, v, gate, out),
  });
  const gateT = gate?.tensor ?? q.tensor;
  const dims = `B=${B}, H=${H}, Hkv=${Hkv}, L=${L}, S=${S}, E=${E}${causal ? ', causal' : ''}${gateKind ? `, gate=${gateKind === 1 ? 'elementwise' : 'headwise'}` : ''}`;
  if (L === 0) return outTensor;
  const growing = opts.growing;
  if (growing && !(Number.isInteger(growing.capacity) && growing.capacity >= S)) {
    throw new KernelInputError(`attention: growing keys need a capacity of at least S = ${S}, got ${growing.capacity}`);
  }
  const positional = growing ? [ATTENTION_PARAMS.offsetOf('S')] : undefined;
  // Views a kernel may read as vec4: E and every stride multiples of 4.
  const vec4Views = (...views: HeadView[]) => E % 4 === 0 && views.every((x) => x.strides.batch % 4 === 0 && x.strides.head % 4 === 0 && x.strides.pos % 4 === 0);
  const decodeOk = L === 1 && S > 0 && E <= 128 && vec4Views(k, v);
  if (variant === 'decode' && !decodeOk) {
    throw new KernelInputError(`attention: the decode kernel takes one query (L = 1), S >= 1 keys, E <= 128 a multiple of 4 and K/V strides that are multiples of 4; got ${dims}`);
  }
  if (variant === 'decode' || (variant === 'flash' && decodeOk)) {
    // While capturing growing keys, the split covers the capacity so that the dispatch fits every length.
    const planKeys = growing && engine.isCapturing ? growing.capacity : S;
    attentionDecode(engine, s, q, k, v, gate, gateKind, causal, scale, out, outTensor, dims, planKeys, positional, kFormat, vFormat);
  } else if (variant === 'flash' || variant === 'flash-tiled') {
    // Q and V read straight from their buffers (DIRECT) when asked and their layout allows vec4 reads.
    const wantDirect = (opts.flashOperands ?? (S >= FLASH_DIRECT_MIN_KEYS ? 'direct' : 'staged')) === 'direct';
    const tiles = flashTileConfig(E, engine.report.limits, wantDirect && vec4Views(q, v) ? 'direct' : 'staged');
    if (tiles) {
      const prefetch = opts.flashPrefetch ?? FLASH_PREFETCH;
      const residency = opts.residency;
      if (residency && residency.numel < 2) throw new KernelInputError(`attention: the residency counter needs 2 values, got ${residency.numel}`);
      const diag = opts.flashDiagnostic ? FLASH_DIAG_CODE[opts.flashDiagnostic] : 0;
      const wantPvu = opts.flashPvUnroll ?? FLASH_PV_UNROLL[tiles.direct ? 'direct' : 'staged'];
      if (![1, 2, 4].includes(wantPvu)) throw new KernelInputError(`attention: flashPvUnroll takes 1, 2 or 4, got ${wantPvu}`);
      const pvu = (tiles.BK / 4) % wantPvu === 0 ? wantPvu : 1;
      const key = `attention_flash:D${tiles.DPAD}:TM${tiles.TM}:RT${tiles.RT}:KN${tiles.KN}:prefetch=${prefetch}:direct=${tiles.direct}:residency=${residency ? 1 : 0}${diag ? `:diag=${diag}` : ''}:pvu=${pvu}${kvKey}`;
      const pipeline = engine.pipeline(key, () => ({
        code:
          ATTENTION_PARAMS.wgsl() +
          `const D4: u32 = ${tiles.D4}u;\nconst CT: u32 = ${tiles.CT}u;\nconst TM: u32 = ${tiles.TM}u;\nconst RT: u32 = ${tiles.RT}u;\nconst BQ: u32 = ${tiles.BQ}u;\n` +
          `const BK: u32 = ${tiles.BK}u;\nconst KN: u32 = ${tiles.KN}u;\nconst WG: u32 = ${tiles.WG}u;\nconst QS_LEN: u32 = ${tiles.QS_LEN}u;\n` +
          `const KP_LEN: u32 = ${tiles.KP_LEN}u;\nconst V_LEN: u32 = ${tiles.V_LEN}u;\nconst LD: u32 = ${tiles.LD}u;\n` +
          `const PREFETCH: bool = ${prefetch};\nconst DIRECT: bool = ${tiles.direct};\nconst DIAG: u32 = ${diag}u;\nconst PVU: u32 = ${pvu}u;\n${kvReaderCode(kFormat, vFormat, 'f32')}${flashDirectCode(tiles.direct, vFormat)}${residencyCode(residency ? { binding: tiles.direct ? 8 : 6, at: 0 } : null)}\n` +
          unrollLines(flashSource, { '-r': { mark: '#', count: tiles.TM }, '-n': { mark: '@', count: tiles.KN }, '-w': { mark: '$', count: tiles.KN % 4 === 0 ? tiles.KN / 4 : 0 }, '-u': { mark: '~', count: pvu } }),
      }));
      const bindings = [q.tensor, k.tensor, v.tensor, gateT, outTensor];
      if (tiles.direct) bindings.push(q.tensor, v.tensor);
      if (residency) bindings.push(residency);
      engine.dispatch(() => `attention_flash(${dims})`, pipeline, bindings, [Math.ceil(L / tiles.BQ), H, B], uniforms, positional);
    } else {
      const cfg = flashConfig(E, engine.report.limits.maxComputeWorkgroupStorageSize);
      const key = `attention_flash_wide:D${cfg.DPAD}:BK${cfg.BK}${kvKey}`;
      const pipeline = engine.pipeline(key, () => ({
        code:
          ATTENTION_PARAMS.wgsl() +
          `const DPAD: u32 = ${cfg.DPAD}u;\nconst SPLIT: u32 = ${cfg.SPLIT}u;\nconst SL: u32 = ${cfg.SL}u;\nconst BQ: u32 = ${BQ}u;\n` +
          `const BK: u32 = ${cfg.BK}u;\nconst WG: u32 = ${cfg.WG}u;\nconst PARTIAL_LEN: u32 = ${cfg.SPLIT > 1 ? cfg.BK * cfg.WG : 1}u;\n` +
          kvReaderCode(kFormat, vFormat, 'f32') +
          flashWideSource,
      }));
      engine.dispatch(() => `attention_flash_wide(${dims})`, pipeline, [q.tensor, k.tensor, v.tensor, gateT, outTensor], [Math.ceil(L / BQ), H, B], uniforms, positional);
    }
  } else {
    if (growing && engine.isCapturing) {
      throw new KernelInputError(`attention: the naive variant's workgroup count depends on S, so it cannot be captured over growing keys; use 'flash' or 'decode' (${dims})`);
    }
    const WG = 256;
    const scratch = opts.scratch ?? scratchTensor(engine, 'attention_naive.scores', B * H * L * S);
    if (scratch.numel < B * H * L * S) throw new KernelInputError(`attention: scratch ${scratch} holds fewer than B·H·L·S = ${B * H * L * S} scores`);
    const maxDim = engine.report.limits.maxComputeWorkgroupsPerDimension;
    const naiveCode = () => ATTENTION_PARAMS.wgsl() + kvReaderCode(kFormat, vFormat, 'f32') + naiveSource;
    const p1 = engine.pipeline(`attention_naive:scores${kvKey}`, () => ({ code: naiveCode(), entryPoint: 'scores', constants: { WG } }));
    const p2 = engine.pipeline(`attention_naive:combine${kvKey}`, () => ({ code: naiveCode(), entryPoint: 'combine', constants: { WG } }));
    const bindings = [q.tensor, k.tensor, v.tensor, gateT, scratch, outTensor];
    engine.dispatch(() => `attention_naive.scores(${dims})`, p1, bindings, grid1d(Math.ceil((B * H * L * S) / WG), maxDim), uniforms);
    engine.dispatch(() => `attention_naive.combine(${dims})`, p2, bindings, grid1d(Math.ceil((B * H * L * E) / WG), maxDim), uniforms);
  }
  return outTensor;
}

/** Work-group count the decode kernel aims for (enough to fill a large GPU several times over). */
const DECODE_TARGET_WORKGROUPS = 1024;
const DECODE_WG = 128;
/**
 * Query heads of one KV head a decode workgroup takes at a time: the group's size, at most 4. On an H200
 * (docs/measurements/h200/run-2026-12-02f/decode-attention) a workgroup sized for 4 heads that had one
 * (every model without grouped-query attention) took 1.7-1.8x as long: its workgroup memory is sized by
 * this count, and it limited the workgroups resident per SM.
 */
const DECODE_GMAX = 4;
const DECODE_CHMAX = 512;
/**
 * Fewest keys per decode workgroup, per query head it takes: each workgroup pays a fixed cost (loading
 * q, the reductions' barriers) that enough keys amortize. On an H200, 4 heads × 64 keys took 1.4x (4K
 * keys) to 2.4x (16K) as long as 4 heads × 256; for one head, 64 to 256 keys differed by less than the
 * runs' spread.
 */
const DECODE_MIN_KEYS_PER_HEAD = 64;
/** Keys whose V rows one invocation loads at once in the decode kernel's Σ p·v. */
const DECODE_PV_UNROLL = 4;

/** Benchmark-only overrides of the decode kernel's shape (attention-bench's decode variants). */
export interface DecodeTuning {
  workgroupSize?: number;
  targetWorkgroups?: number;
  /** Heads per workgroup: the group's size up to DECODE_GMAX ('group'), or DECODE_GMAX always ('fixed'). */
  heads?: 'group' | 'fixed';
  pvUnroll?: number;
  /** Fewest keys per workgroup (a multiple of 32), instead of DECODE_MIN_KEYS_PER_HEAD per head. */
  minChunk?: number;
}
let decodeTuning: DecodeTuning | null = null;
export function setDecodeTuning(t: DecodeTuning | null): void {
  decodeTuning = t;
}

/** Query heads a decode workgroup takes at a time for `group` query heads per KV head. */
function decodeHeadsPerWorkgroup(group: number): number {
  return decodeTuning?.heads === 'fixed' ? DECODE_GMAX : Math.max(1, Math.min(DECODE_GMAX, group));
}

/**
 * Keys per workgroup and number of splits of the decode kernel for S keys, B·Hkv (b, kv head) pairs and
 * `group` query heads per KV head.
 */
export function decodeSplit(S: number, pairs: number, group: number): { chunk: number; nSplit: number } {
  const target = decodeTuning?.targetWorkgroups ?? DECODE_TARGET_WORKGROUPS;
  const want = Math.max(1, Math.floor(target / Math.max(1, pairs)));
  const minChunk = decodeTuning?.minChunk ?? DECODE_MIN_KEYS_PER_HEAD * Math.min(DECODE_GMAX, Math.max(1, group));
  let chunk = Math.ceil(S / want);
  chunk = Math.min(DECODE_CHMAX, Math.max(minChunk, Math.ceil(chunk / 32) * 32));
  return { chunk, nSplit: Math.ceil(S / chunk) };
}

function attentionDecode(
  engine: Engine,
  s: AttentionShape,
  q: HeadView,
  k: HeadView,
  v: HeadView,
  gate: HeadView | undefined,
  gateKind: number,
  causal: boolean,
  scale: number,
  out: HeadView,
  outTensor: Tensor,
  dims: string,
  planKeys: number,
  positional: readonly number[] | undefined,
  kFormat: StorageFormat,
  vFormat: StorageFormat,
): void {
  const { B, H, Hkv, L, S, E } = s;
  const DPAD = E <= 32 ? 32 : E <= 64 ? 64 : 128;
  const D4 = DPAD / 4;
  // planKeys >= S: splits at or past S take no keys (the kernel clamps their range to empty).
  const { chunk, nSplit } = decodeSplit(planKeys, B * Hkv, H / Hkv);
  const uniforms = ATTENTION_DECODE_PARAMS.pack({
    B, H, Hkv, L, S, E,
    causal: causal ? 1 : 0,
    gateKind,
    scale,
    ...viewStrides(q, k, v, gate, out),
    chunk, nSplit,
  });
  // Built only when a pipeline is first made (decode records this kernel every token).
  const WG = Math.min(decodeTuning?.workgroupSize ?? DECODE_WG, engine.report.limits.maxComputeInvocationsPerWorkgroup, engine.report.limits.maxComputeWorkgroupSizeX);
  const GMAX = decodeHeadsPerWorkgroup(H / Hkv);
  const PVU = decodeTuning?.pvUnroll ?? DECODE_PV_UNROLL;
  const code = () =>
    ATTENTION_DECODE_PARAMS.wgsl() +
    `const D4: u32 = ${D4}u;\nconst WG: u32 = ${WG}u;\nconst GMAX: u32 = ${GMAX}u;\nconst CHMAX: u32 = ${DECODE_CHMAX}u;\nconst NJ: u32 = ${WG / D4}u;\nconst PVU: u32 = ${PVU}u;\n` +
    kvReaderCode(kFormat, vFormat, 'vec4') +
    decodeSource;
  const key = `D${DPAD}:wg${WG}:g${GMAX}:u${PVU}${formatsKey([kFormat, vFormat])}`;
  const p1 = engine.pipeline(`attention_decode:partial:${key}`, () => ({ code: code(), entryPoint: 'partial' }));
  const p2 = engine.pipeline(`attention_decode:combine:${key}`, () => ({ code: code(), entryPoint: 'combine' }));
  const w = scratchTensor(engine, 'attention_decode.partials', B * H * nSplit * (DPAD + 4));
  const bindings = [q.tensor, k.tensor, v.tensor, gate?.tensor ?? q.tensor, w, outTensor];
  engine.dispatch(() => `attention_decode.partial(${dims}, splits=${nSplit})`, p1, bindings, [nSplit, Hkv, B], uniforms, positional);
  engine.dispatch(() => `attention_decode.combine(${dims}, splits=${nSplit})`, p2, bindings, [H, B, 1], uniforms, positional);
}
