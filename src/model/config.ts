// The model description: one plain, versioned data shape for a sequence model (a stack of layers, each a
// mixer and/or a SwiGLU MLP) and for a Comparison (up to six models plus the sweep and chart settings).
// Validated at the boundary (URL, file, CLI) with messages that name the field and the reason; inside
// the app a ModelConfig is trusted and typed.
//
// Dimensions: d = dModel, V = vocabSize, B = batch. Mamba: d_inner = expand·d, N = dState, R = dtRank.
// Attention: H = heads, Hkv = kvHeads, E = headDim. GLA: H heads, key_dim = d·expandK, value_dim =
// d·expandV. MLP: hidden units.
//
// Layer layout the model runner builds: embedding (V, d) -> per layer [RMSNorm -> mixer -> residual]
// (when a mixer) then [RMSNorm -> MLP -> residual] (when an MLP) -> final RMSNorm -> lm_head (tied to the
// embedding or its own (V, d)). Activations, decode state and small weights are float32; the large weight
// matrices are float32 or, with weightFormat 'f16', IEEE halves computed in float32, and the attention
// layers' KV cache float32 or, with kvCacheFormat 'f16', halves (storage-format.ts).

import * as v from 'valibot';
import { KV_CACHE_FORMATS, WEIGHT_FORMATS, type KvCacheFormat, type WeightFormat } from './storage-format';

/** Version of the Comparison data shape (and of the URL format built on it). */
export const CONFIG_VERSION = 1;

export interface MambaMixerConfig {
  kind: 'mamba';
  /** N: SSM state size per channel. */
  dState: number;
  /** Causal depthwise conv width. */
  dConv: number;
  /** d_inner = expand · dModel. */
  expand: number;
  /** R: rank of the Δ projection (official: ceil(dModel / 16)). */
  dtRank: number;
}

export type AttentionGate = 'none' | 'headwise' | 'elementwise';

export interface AttentionMixerConfig {
  kind: 'attention';
  heads: number;
  /** Key/value heads (grouped-query attention when fewer than heads). */
  kvHeads: number;
  headDim: number;
  /** RoPE base frequency. */
  ropeBase: number;
  /** Sigmoid output gate on the attention output: none, one per head, or one per element. */
  gate: AttentionGate;
}

export interface GlaMixerConfig {
  kind: 'gla';
  heads: number;
  /** key_dim = dModel · expandK. */
  expandK: number;
  /** value_dim = dModel · expandV. */
  expandV: number;
}

export type MixerConfig = MambaMixerConfig | AttentionMixerConfig | GlaMixerConfig;
export type MixerKind = MixerConfig['kind'];

export interface MlpConfig {
  kind: 'swiglu';
  hidden: number;
}

export interface LayerConfig {
  mixer: MixerConfig | null;
  mlp: MlpConfig | null;
}

export interface ModelConfig {
  /** Plain text shown in the legend (no markup, no control characters). */
  name: string;
  vocabSize: number;
  dModel: number;
  /** RMSNorm epsilon. */
  normEps: number;
  /** lm_head shares the embedding matrix. */
  tiedEmbeddings: boolean;
  /**
   * How the weights are stored on the GPU: 'f32' every weight float32; 'f16' the embedding, lm_head and the
   * projection matrices as halves (two per u32, computed in float32), the rest float32. Which weights
   * are halves: storedAsHalf in storage-format.ts.
   */
  weightFormat: WeightFormat;
  /**
   * How the attention layers' KV cache is stored: 'f32', or 'f16' (halves; half the cache memory, keys and
   * values rounded to fp16 wherever they are read from the cache: prefill with a decode state, and decode).
   * Nothing else changes; without attention layers it changes nothing.
   */
  kvCacheFormat: KvCacheFormat;
  /** Sequences per forward pass. */
  batch: number;
  layers: LayerConfig[];
}

export type SweepMode = 'prefill' | 'decode';
export const SWEEP_MODES: readonly SweepMode[] = ['prefill', 'decode'];

/** Charts the page can show against sequence length: prefill tokens/s, decode ms per token, GPU memory, analytic FLOPs per token. */
export const CHART_IDS = ['throughput', 'latency', 'memory', 'flops'] as const;
export type ChartId = (typeof CHART_IDS)[number];

export interface SweepConfig {
  /** First sequence length (tokens); lengths double from here. */
  seqStart: number;
  /** Last sequence length (tokens), included even when not a doubling of seqStart. */
  seqMax: number;
  /** prefill: one forward pass over L tokens; decode: decodeSteps single-token steps at context L. */
  modes: SweepMode[];
  decodeSteps: number;
  /** Untimed runs before measuring, per point. */
  warmup: number;
  /** Timed runs per point (the chart shows their median). */
  repeats: number;
}

export interface ChartsConfig {
  logX: boolean;
  logY: boolean;
  visible: ChartId[];
}

export interface Comparison {
  version: typeof CONFIG_VERSION;
  models: ModelConfig[];
  sweep: SweepConfig;
  charts: ChartsConfig;
}

// ---- limits -------------------------------------------------------------------------------------

export const LIMITS = {
  nameChars: 64,
  vocabSize: [2, 1_048_576],
  dModel: [8, 16384],
  normEps: [1e-12, 0.1],
  batch: [1, 1024],
  layers: [1, 512],
  dState: [1, 256],
  dConv: [1, 16],
  expand: [1, 8],
  heads: [1, 256],
  headDim: [2, 1024],
  ropeBase: [1, 1e9],
  glaHeads: [1, 256],
  glaExpand: [0.125, 8],
  mlpHidden: [1, 262144],
  models: [1, 6],
  seqLen: [1, 1_048_576],
  decodeSteps: [1, 4096],
  warmup: [0, 100],
  repeats: [1, 1000],
} as const;

// ---- defaults -----------------------------------------------------------------------------------

export const DEFAULT_VOCAB_SIZE = 50280;
export const DEFAULT_NORM_EPS = 1e-5;
export const DEFAULT_MODEL_NAME = 'Custom model';
export const DEFAULT_ROPE_BASE = 10000;
/** The official Mamba Δ rank: ceil(dModel / 16). */
export const autoDtRank = (dModel: number): number => Math.max(1, Math.ceil(dModel / 16));
/** Llama's MLP width: 8/3 · dModel, rounded up to a multiple of 64. */
export const autoMlpHidden = (dModel: number): number => Math.max(1, Math.ceil((8 * dModel) / 3 / 64) * 64);
/** Heads of 64 channels where dModel allows it. */
export const autoAttentionHeads = (dModel: number): number => Math.max(1, Math.round(dModel / 64));

export const DEFAULT_SWEEP: SweepConfig = { seqStart: 256, seqMax: 16384, modes: ['prefill', 'decode'], decodeSteps: 64, warmup: 2, repeats: 5 };
export const DEFAULT_CHARTS: ChartsConfig = { logX: true, logY: true, visible: [...CHART_IDS] };

/** Sequence lengths of a sweep: seqStart doubling up to seqMax, with seqMax last. */
export function sweepLengths(sweep: Pick<SweepConfig, 'seqStart' | 'seqMax'>): number[] {
  const out: number[] = [];
  for (let l = sweep.seqStart; l < sweep.seqMax; l *= 2) out.push(l);
  out.push(sweep.seqMax);
  return out;
}

// ---- input shapes (what files and links may leave out) ------------------------------------------

export interface MambaMixerInput { kind: 'mamba'; dState?: number; dConv?: number; expand?: number; dtRank?: number | 'auto' }
export interface AttentionMixerInput { kind: 'attention'; heads?: number; kvHeads?: number; headDim?: number | 'auto'; ropeBase?: number; gate?: AttentionGate }
export interface GlaMixerInput { kind: 'gla'; heads?: number; expandK?: number; expandV?: number }
export type MixerInput = MambaMixerInput | AttentionMixerInput | GlaMixerInput;
export interface MlpInput { kind?: 'swiglu'; hidden?: number | 'auto' }
export interface LayerInput { mixer?: MixerInput | null; mlp?: MlpInput | null }
export interface ModelInput {
  name?: string;
  vocabSize?: number;
  dModel: number;
  normEps?: number;
  tiedEmbeddings?: boolean;
  weightFormat?: WeightFormat;
  kvCacheFormat?: KvCacheFormat;
  batch?: number;
  layers: LayerInput[];
}

// ---- names --------------------------------------------------------------------------------------

const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g;

/** A model name as plain text: control characters and angle brackets removed, spaces collapsed, length-limited. */
export function sanitizeName(raw: string): string {
  const cleaned = raw.replace(CONTROL_CHARS, ' ').replace(/[<>]/g, '').replace(/\s+/g, ' ').trim();
  return Array.from(cleaned).slice(0, LIMITS.nameChars).join('').trim();
}

// ---- schemas ------------------------------------------------------------------------------------

function show(x: unknown): string {
  if (typeof x === 'number') return String(x);
  if (typeof x === 'string') return JSON.stringify(x.length > 24 ? `${x.slice(0, 24)}…` : x);
  if (x === null) return 'null';
  if (x === undefined) return 'nothing';
  if (Array.isArray(x)) return 'an array';
  return typeof x === 'object' ? 'an object' : typeof x;
}

const fmtNum = (n: number): string => String(n);

function intIn([min, max]: readonly [number, number]) {
  const msg = (i: v.BaseIssue<unknown>) => `must be an integer from ${fmtNum(min)} to ${fmtNum(max)}, got ${show(i.input)}`;
  return v.pipe(v.number(msg), v.integer(msg), v.minValue(min, msg), v.maxValue(max, msg));
}

function numIn([min, max]: readonly [number, number]) {
  const msg = (i: v.BaseIssue<unknown>) => `must be a number from ${min} to ${fmtNum(max)}, got ${show(i.input)}`;
  return v.pipe(v.number(msg), v.finite(msg), v.minValue(min, msg), v.maxValue(max, msg));
}

function intOrAuto(range: readonly [number, number]) {
  const msg = (i: v.BaseIssue<unknown>) => `must be 'auto' or an integer from ${fmtNum(range[0])} to ${fmtNum(range[1])}, got ${show(i.input)}`;
  return v.union([v.literal('auto'), intIn(range)], msg);
}

const boolean = v.boolean((i) => `must be true or false, got ${show(i.input)}`);

function oneOf<const T extends string>(options: readonly T[]) {
  return v.picklist(options, (i) => `must be one of ${options.map((o) => `'${o}'`).join(', ')}, got ${show(i.input)}`);
}

const objectMsg = (i: v.BaseIssue<unknown>) => `must be an object, got ${show(i.input)}`;

const MambaSchema = v.object(
  { kind: v.literal('mamba'), dState: v.optional(intIn(LIMITS.dState)), dConv: v.optional(intIn(LIMITS.dConv)), expand: v.optional(numIn(LIMITS.expand)), dtRank: v.optional(intOrAuto([1, 16384])) },
  objectMsg,
);
const AttentionSchema = v.object(
  {
    kind: v.literal('attention'),
    heads: v.optional(intIn(LIMITS.heads)),
    kvHeads: v.optional(intIn(LIMITS.heads)),
    headDim: v.optional(intOrAuto(LIMITS.headDim)),
    ropeBase: v.optional(numIn(LIMITS.ropeBase)),
    gate: v.optional(oneOf(['none', 'headwise', 'elementwise'] as const)),
  },
  objectMsg,
);
const GlaSchema = v.object({ kind: v.literal('gla'), heads: v.optional(intIn(LIMITS.glaHeads)), expandK: v.optional(numIn(LIMITS.glaExpand)), expandV: v.optional(numIn(LIMITS.glaExpand)) }, objectMsg);
// A bad discriminator reports the kind's value (a string or nothing); a non-object mixer reports itself.
const MixerSchema = v.variant('kind', [MambaSchema, AttentionSchema, GlaSchema], (i) =>
  typeof i.input === 'string' || i.input === undefined ? `must be 'mamba', 'attention' or 'gla', got ${show(i.input)}` : `must be a mixer object ({ kind: 'mamba' | 'attention' | 'gla', … }) or null, got ${show(i.input)}`,
);
const MlpSchema = v.object({ kind: v.optional(v.literal('swiglu', (i) => `must be 'swiglu', got ${show(i.input)}`)), hidden: v.optional(intOrAuto(LIMITS.mlpHidden)) }, (i) => `must be an MLP object or null, got ${show(i.input)}`);
const LayerSchema = v.object({ mixer: v.nullish(MixerSchema), mlp: v.nullish(MlpSchema) }, objectMsg);

const ModelSchema = v.object(
  {
    name: v.optional(v.string((i) => `must be a string, got ${show(i.input)}`)),
    vocabSize: v.optional(intIn(LIMITS.vocabSize)),
    dModel: intIn(LIMITS.dModel),
    normEps: v.optional(numIn(LIMITS.normEps)),
    tiedEmbeddings: v.optional(boolean),
    weightFormat: v.optional(oneOf(WEIGHT_FORMATS)),
    kvCacheFormat: v.optional(oneOf(KV_CACHE_FORMATS)),
    batch: v.optional(intIn(LIMITS.batch)),
    layers: v.pipe(
      v.array(LayerSchema, (i) => `must be an array of layers, got ${show(i.input)}`),
      v.minLength(LIMITS.layers[0], 'needs at least one layer'),
      v.maxLength(LIMITS.layers[1], (i) => `at most ${LIMITS.layers[1]} layers, got ${(i.input as unknown[]).length}`),
    ),
  },
  objectMsg,
);

const SweepSchema = v.object(
  {
    seqStart: v.optional(intIn(LIMITS.seqLen)),
    seqMax: v.optional(intIn(LIMITS.seqLen)),
    modes: v.optional(v.pipe(v.array(oneOf(SWEEP_MODES), (i) => `must be an array, got ${show(i.input)}`), v.minLength(1, 'needs at least one mode'))),
    decodeSteps: v.optional(intIn(LIMITS.decodeSteps)),
    warmup: v.optional(intIn(LIMITS.warmup)),
    repeats: v.optional(intIn(LIMITS.repeats)),
  },
  objectMsg,
);
const ChartsSchema = v.object(
  { logX: v.optional(boolean), logY: v.optional(boolean), visible: v.optional(v.array(oneOf(CHART_IDS), (i) => `must be an array, got ${show(i.input)}`)) },
  objectMsg,
);
const ComparisonSchema = v.object(
  {
    version: v.literal(CONFIG_VERSION, (i) => `must be ${CONFIG_VERSION}, got ${show(i.input)}`),
    models: v.pipe(
      v.array(v.unknown(), (i) => `must be an array of models, got ${show(i.input)}`),
      v.minLength(LIMITS.models[0], 'needs at least one model'),
      v.maxLength(LIMITS.models[1], (i) => `at most ${LIMITS.models[1]} models, got ${(i.input as unknown[]).length}`),
    ),
    sweep: v.optional(SweepSchema),
    charts: v.optional(ChartsSchema),
  },
  objectMsg,
);

// ---- validation ---------------------------------------------------------------------------------

export interface ValidationIssue {
  /** Where: `layers[3].mixer.heads`; '' for the whole value. */
  path: string;
  message: string;
}
export type Validated<T> = { ok: true; value: T } | { ok: false; issues: ValidationIssue[] };

/** `a.b[3].c` from a list of keys. */
export function formatPath(keys: readonly (string | number)[]): string {
  let out = '';
  for (const k of keys) out += typeof k === 'number' ? `[${k}]` : out === '' ? k : `.${k}`;
  return out;
}

/** "path: message" lines, one per issue. */
export function formatIssues(issues: readonly ValidationIssue[]): string {
  return issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('\n');
}

function schemaIssues(issues: readonly v.BaseIssue<unknown>[], prefix: (string | number)[] = []): ValidationIssue[] {
  return issues.map((i) => ({ path: formatPath([...prefix, ...(i.path ?? []).map((p) => p.key as string | number)]), message: i.message }));
}

type ParsedModel = v.InferOutput<typeof ModelSchema>;

/** Fills defaults: dtRank/headDim/hidden 'auto', Mamba 16/4/2, RoPE 10000, kvHeads = heads, GLA 0.5/1, weights and KV cache f32. */
export function normalizeModel(input: ModelInput): ModelConfig {
  const d = input.dModel;
  return {
    name: sanitizeName(input.name ?? DEFAULT_MODEL_NAME) || DEFAULT_MODEL_NAME,
    vocabSize: input.vocabSize ?? DEFAULT_VOCAB_SIZE,
    dModel: d,
    normEps: input.normEps ?? DEFAULT_NORM_EPS,
    tiedEmbeddings: input.tiedEmbeddings ?? true,
    weightFormat: input.weightFormat ?? 'f32',
    kvCacheFormat: input.kvCacheFormat ?? 'f32',
    batch: input.batch ?? 1,
    layers: input.layers.map((l) => ({ mixer: l.mixer ? normalizeMixer(l.mixer, d) : null, mlp: l.mlp ? { kind: 'swiglu', hidden: l.mlp.hidden === undefined || l.mlp.hidden === 'auto' ? autoMlpHidden(d) : l.mlp.hidden } : null })),
  };
}

function normalizeMixer(m: MixerInput, d: number): MixerConfig {
  switch (m.kind) {
    case 'mamba':
      return { kind: 'mamba', dState: m.dState ?? 16, dConv: m.dConv ?? 4, expand: m.expand ?? 2, dtRank: m.dtRank === undefined || m.dtRank === 'auto' ? autoDtRank(d) : m.dtRank };
    case 'attention': {
      const heads = m.heads ?? autoAttentionHeads(d);
      const headDim = m.headDim === undefined || m.headDim === 'auto' ? Math.max(1, Math.floor(d / heads)) : m.headDim;
      return { kind: 'attention', heads, kvHeads: m.kvHeads ?? heads, headDim, ropeBase: m.ropeBase ?? DEFAULT_ROPE_BASE, gate: m.gate ?? 'none' };
    }
    case 'gla':
      return { kind: 'gla', heads: m.heads ?? 4, expandK: m.expandK ?? 0.5, expandV: m.expandV ?? 1 };
  }
}

/** Checks that need the input before defaults are filled ('auto' fields that must divide). */
function autoIssues(input: ParsedModel, prefix: (string | number)[]): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  const d = input.dModel;
  input.layers.forEach((l, i) => {
    const m = l.mixer;
    if (m?.kind === 'attention' && (m.headDim === undefined || m.headDim === 'auto')) {
      const heads = m.heads ?? autoAttentionHeads(d);
      if (d % heads !== 0) out.push({ path: formatPath([...prefix, 'layers', i, 'mixer', 'heads']), message: `d_model ${d} is not divisible by ${heads} heads` });
    }
  });
  return out;
}

/** Cross-field checks on a filled-in model. */
export function modelIssues(m: ModelConfig, prefix: (string | number)[] = []): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  const at = (keys: (string | number)[], message: string) => out.push({ path: formatPath([...prefix, ...keys]), message });
  const d = m.dModel;
  if (m.name !== sanitizeName(m.name)) at(['name'], 'must be plain text of at most 64 characters, without control characters or angle brackets');
  if (m.name === '') at(['name'], 'must not be empty');
  m.layers.forEach((layer, i) => {
    const mixer = layer.mixer;
    if (!mixer && !layer.mlp) at(['layers', i], 'a layer needs a mixer, an MLP or both');
    if (mixer?.kind === 'mamba') {
      const dInner = mixer.expand * d;
      if (!Number.isInteger(dInner)) at(['layers', i, 'mixer', 'expand'], `d_model ${d} × expand ${mixer.expand} = ${dInner} is not a whole number of channels`);
      if (mixer.dtRank > dInner) at(['layers', i, 'mixer', 'dtRank'], `must be at most d_inner (${dInner}), got ${mixer.dtRank}`);
    } else if (mixer?.kind === 'attention') {
      if (mixer.kvHeads > mixer.heads || mixer.heads % mixer.kvHeads !== 0)
        at(['layers', i, 'mixer', 'kvHeads'], `${mixer.heads} heads cannot be shared among ${mixer.kvHeads} key/value heads (kvHeads must divide heads)`);
      if (mixer.headDim % 2 !== 0) at(['layers', i, 'mixer', 'headDim'], `must be even (rotary embeddings rotate pairs of channels), got ${mixer.headDim}`);
      const width = mixer.heads * mixer.headDim;
      if (width > 4 * d) at(['layers', i, 'mixer', 'headDim'], `heads × headDim = ${width} is more than 4 × d_model (${4 * d})`);
    } else if (mixer?.kind === 'gla') {
      for (const [key, expand, what] of [['expandK', mixer.expandK, 'key'], ['expandV', mixer.expandV, 'value']] as const) {
        const dim = d * expand;
        if (!Number.isInteger(dim)) at(['layers', i, 'mixer', key], `d_model ${d} × ${key} ${expand} = ${dim} is not a whole number of ${what} channels`);
        else if (dim % mixer.heads !== 0) at(['layers', i, 'mixer', key], `${what} dim ${dim} (d_model ${d} × ${expand}) is not divisible by ${mixer.heads} heads`);
      }
    }
  });
  return out;
}

/** Validates a model from outside (JSON file, link, CLI) and fills its defaults. Never throws. */
export function validateModel(raw: unknown): Validated<ModelConfig> {
  return validateModelAt(raw, []);
}

function validateModelAt(raw: unknown, prefix: (string | number)[]): Validated<ModelConfig> {
  const parsed = v.safeParse(ModelSchema, raw, { abortPipeEarly: true });
  if (!parsed.success) return { ok: false, issues: schemaIssues(parsed.issues, prefix) };
  const early = autoIssues(parsed.output, prefix);
  if (early.length > 0) return { ok: false, issues: early };
  const model = normalizeModel(parsed.output as ModelInput);
  // A name given in the input must already be plain text; normalize would silently clean it.
  const issues: ValidationIssue[] = [];
  if (parsed.output.name !== undefined && parsed.output.name !== model.name)
    issues.push({ path: formatPath([...prefix, 'name']), message: `must be plain text of 1 to ${LIMITS.nameChars} characters, without control characters or angle brackets` });
  issues.push(...modelIssues(model, prefix));
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value: model };
}

/** Validates a Comparison (models, sweep, charts), filling defaults for what is left out. Never throws. */
export function validateComparison(raw: unknown): Validated<Comparison> {
  const parsed = v.safeParse(ComparisonSchema, raw, { abortPipeEarly: true });
  if (!parsed.success) return { ok: false, issues: schemaIssues(parsed.issues) };
  const issues: ValidationIssue[] = [];
  const models: ModelConfig[] = [];
  parsed.output.models.forEach((m, i) => {
    const r = validateModelAt(m, ['models', i]);
    if (r.ok) models.push(r.value);
    else issues.push(...r.issues);
  });
  const sweep: SweepConfig = { ...DEFAULT_SWEEP, ...stripUndefined(parsed.output.sweep ?? {}) };
  sweep.modes = [...sweep.modes];
  if (sweep.seqMax < sweep.seqStart) issues.push({ path: 'sweep.seqMax', message: `must be at least seqStart (${sweep.seqStart}), got ${sweep.seqMax}` });
  if (new Set(sweep.modes).size !== sweep.modes.length) issues.push({ path: 'sweep.modes', message: 'lists a mode twice' });
  const charts: ChartsConfig = { ...DEFAULT_CHARTS, ...stripUndefined(parsed.output.charts ?? {}) };
  charts.visible = [...charts.visible];
  if (new Set(charts.visible).size !== charts.visible.length) issues.push({ path: 'charts.visible', message: 'lists a chart twice' });
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, value: { version: CONFIG_VERSION, models, sweep, charts } };
}

function stripUndefined<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, val]) => val !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };
}

/**
 * Brings an older Comparison object (from a file) to the current version before validation. Version 1 is
 * the first; later versions add their step here.
 */
export function migrateComparison(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const o = raw as Record<string, unknown>;
  if (o.version === undefined) return { ...o, version: CONFIG_VERSION };
  return o;
}

/** Deep copy of plain config data. */
export function cloneModel(m: ModelConfig): ModelConfig {
  return { ...m, layers: m.layers.map((l) => ({ mixer: l.mixer ? { ...l.mixer } : null, mlp: l.mlp ? { ...l.mlp } : null })) };
}

/** Structural equality of plain data (objects, arrays, numbers, strings, booleans, null). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return Number.isNaN(a) && Number.isNaN(b);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** Alias of normalizeModel: fills a model's defaults ('auto' fields and left-out settings). */
export const normalize = normalizeModel;
