// The URL fragment codec for a Comparison: every setting of the page lives in the link. Readable where it
// can be (preset ids, the stack pattern, `seq=256-16384`), compact elsewhere, versioned (`v=1`) with a
// migration hook. Decoding never throws: it loads what it can, fills defaults for the rest, and returns
// warnings that say what was wrong and what was ignored. The format is documented in docs/url-format.md.
//
//   v=1&m=mamba-130m&m=jamba;name:My_hybrid;F:1024&m=d:512;p:(M_M_M_G)x4;A:8-8-a-10000&seq=256-16384&r=…
//
// A model (`m=`, one per model, in order) is an optional preset id followed by `;key:value` fields that
// replace the preset's (or the defaults'): name, d, v, eps, tie, w (weight format), kv (KV cache format), b,
// p (pattern, '_' for spaces), M, A, L, F (per-kind settings, '-' separated) and `@i,j-k:` per-layer overrides.

import {
  autoDtRank,
  autoMlpHidden,
  CHART_IDS,
  CONFIG_VERSION,
  DEFAULT_CHARTS,
  DEFAULT_MODEL_NAME,
  DEFAULT_NORM_EPS,
  DEFAULT_SWEEP,
  DEFAULT_VOCAB_SIZE,
  deepEqual,
  formatIssues,
  LIMITS,
  sanitizeName,
  SWEEP_MODES,
  validateModel,
  type ChartId,
  type Comparison,
  type ModelConfig,
  type SweepMode,
} from '../model/config';
import {
  buildModel,
  defaultKindSettings,
  describeModel,
  type AttentionSettings,
  type GlaSettings,
  type KindSettings,
  type LayerOverride,
  type MambaSettings,
  type ModelDescription,
} from '../model/build';
import { tryParsePattern, type LayerCode } from '../model/pattern';
import { KV_CACHE_FORMATS, WEIGHT_FORMATS, type KvCacheFormat, type WeightFormat } from '../model/storage-format';
import { defaultComparison, getPreset, PRESETS } from '../model/presets';

export const URL_FORMAT_VERSION = CONFIG_VERSION;
/** Longest fragment read; the rest is ignored with a warning. */
export const MAX_FRAGMENT_CHARS = 400_000;
/** Longest attached-results string carried through. */
export const MAX_RESULTS_CHARS = 300_000;
const RESULTS_ALPHABET = /^[A-Za-z0-9\-_.~!*'()%]*$/;

export interface DecodedComparison {
  comparison: Comparison;
  warnings: string[];
  /** The `r=` field as given: attached results, opaque to the codec. */
  attachedResults?: string;
}

/**
 * Migrations of the top-level fields from an older version to the next. A version N link is read by
 * applying MIGRATIONS[N], MIGRATIONS[N+1], … up to the current version.
 */
type Fields = [key: string, value: string][];
const MIGRATIONS: Record<number, (fields: Fields) => Fields> = {};

// ---- small helpers ------------------------------------------------------------------------------

/** The fragment of a link (text after '#'), or the text itself when it has none. */
export function fragmentOf(linkOrFragment: string): string {
  const hash = linkOrFragment.indexOf('#');
  return hash >= 0 ? linkOrFragment.slice(hash + 1) : linkOrFragment;
}

/** Shortest exact text of a number: `0.00001` -> `1e-5`. */
function num(n: number): string {
  const plain = String(n);
  const exp = n.toExponential().replace('e+', 'e');
  return exp.length < plain.length && Number(exp) === n ? exp : plain;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

const shown = (s: string): string => JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);

function encodeName(name: string): string {
  return encodeURIComponent(name).replace(/_/g, '%5F').replace(/%20/g, '_');
}

function decodeName(raw: string): string {
  return safeDecode(raw.replace(/_/g, ' '));
}

/** Parses a number within [min, max] (integer when asked); undefined with a reason otherwise. */
function readNumber(raw: string, [min, max]: readonly [number, number], integer: boolean): { value?: number; reason?: string } {
  if (!/^[0-9.eE+-]+$/.test(raw)) return { reason: `${shown(raw)} is not a number` };
  const n = Number(raw);
  if (!Number.isFinite(n)) return { reason: `${shown(raw)} is not a number` };
  if (integer && !Number.isInteger(n)) return { reason: `${raw} is not an integer` };
  if (n < min || n > max) return { reason: `${raw} is outside ${min}..${max}` };
  return { value: n };
}

// ---- encoding -----------------------------------------------------------------------------------

function encodeMamba(s: MambaSettings): string {
  return [s.dState, s.dConv, s.expand, s.dtRank === 'auto' ? 'a' : s.dtRank].map((x) => (typeof x === 'number' ? num(x) : x)).join('-');
}
function encodeAttention(s: AttentionSettings): string {
  return [s.heads, s.kvHeads, s.headDim === 'auto' ? 'a' : s.headDim, s.ropeBase].map((x) => (typeof x === 'number' ? num(x) : x)).join('-');
}
function encodeGla(s: GlaSettings): string {
  return [s.heads, s.expandK, s.expandV].map(num).join('-');
}

function encodeOverrideValue(o: LayerOverride, codes: readonly LayerCode[]): string {
  const parts: string[] = [];
  const code = codes[o.index];
  if (o.mixer) {
    const letter = code.startsWith('M') ? 'M' : code.startsWith('L') ? 'L' : 'A';
    parts.push(`${letter}-${letter === 'M' ? encodeMamba(o.mixer as MambaSettings) : letter === 'L' ? encodeGla(o.mixer as GlaSettings) : encodeAttention(o.mixer as AttentionSettings)}`);
  }
  if (o.mlp) parts.push(`F-${num(o.mlp.hidden)}`);
  return parts.join(',');
}

/** `0-3,8` from [0, 1, 2, 3, 8]. */
function encodeIndexes(ix: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < ix.length; ) {
    let j = i;
    while (j + 1 < ix.length && ix[j + 1] === ix[j] + 1) j++;
    out.push(j > i ? `${ix[i]}-${ix[j]}` : `${ix[i]}`);
    i = j + 1;
  }
  return out.join(',');
}

function baseDescription(base: ModelDescription | null, dModel: number): ModelDescription {
  return (
    base ?? {
      name: DEFAULT_MODEL_NAME,
      vocabSize: DEFAULT_VOCAB_SIZE,
      dModel,
      normEps: DEFAULT_NORM_EPS,
      tiedEmbeddings: true,
      weightFormat: 'f32',
      kvCacheFormat: 'f32',
      batch: 1,
      pattern: 'M*24',
      settings: defaultKindSettings(dModel),
      overrides: [],
    }
  );
}

/** The fields of `target` that differ from `base`. */
function modelFields(target: ModelDescription, base: ModelDescription): string[] {
  const f: string[] = [];
  if (target.name !== base.name) f.push(`name:${encodeName(target.name)}`);
  if (target.dModel !== base.dModel) f.push(`d:${target.dModel}`);
  if (target.vocabSize !== base.vocabSize) f.push(`v:${target.vocabSize}`);
  if (target.normEps !== base.normEps) f.push(`eps:${num(target.normEps)}`);
  if (target.tiedEmbeddings !== base.tiedEmbeddings) f.push(`tie:${target.tiedEmbeddings ? 1 : 0}`);
  if (target.weightFormat !== base.weightFormat) f.push(`w:${target.weightFormat}`);
  if (target.kvCacheFormat !== base.kvCacheFormat) f.push(`kv:${target.kvCacheFormat}`);
  if (target.batch !== base.batch) f.push(`b:${target.batch}`);
  if (target.pattern !== base.pattern) f.push(`p:${target.pattern.replace(/ /g, '_')}`);
  const codes = (tryParsePattern(target.pattern) as { layers: LayerCode[] }).layers ?? [];
  const uses = (pred: (c: LayerCode) => boolean) => codes.some(pred);
  const t = target.settings;
  const b = base.settings;
  if (uses((c) => c.startsWith('M')) && !deepEqual(t.mamba, b.mamba)) f.push(`M:${encodeMamba(t.mamba)}`);
  if (uses((c) => c.startsWith('A') || c.startsWith('G')) && !deepEqual(t.attention, b.attention)) f.push(`A:${encodeAttention(t.attention)}`);
  if (uses((c) => c.startsWith('L')) && !deepEqual(t.gla, b.gla)) f.push(`L:${encodeGla(t.gla)}`);
  if (uses((c) => c === 'F' || c.endsWith('+')) && !deepEqual(t.mlp, b.mlp)) f.push(`F:${t.mlp.hidden === 'auto' ? 'a' : num(t.mlp.hidden)}`);
  // Overrides with the same value share one field.
  const groups = new Map<string, number[]>();
  for (const o of target.overrides) {
    const value = encodeOverrideValue(o, codes);
    groups.set(value, [...(groups.get(value) ?? []), o.index]);
  }
  for (const [value, ix] of groups) f.push(`@${encodeIndexes(ix)}:${value}`);
  return f;
}

/** The `m=` value of one model: the shortest form that decodes back to exactly this model. */
// The store replaces a model object whenever it changes, so an object's encoding never goes stale:
// links are rewritten on every keystroke, and only the edited model is encoded again.
const encodedModels = new WeakMap<ModelConfig, string>();

export function encodeModel(config: ModelConfig): string {
  let text = encodedModels.get(config);
  if (text === undefined) {
    text = encodeModelUncached(config);
    encodedModels.set(config, text);
  }
  return text;
}

function encodeModelUncached(config: ModelConfig): string {
  const target = describeModel(config);
  let best: string | undefined;
  for (const p of [null, ...PRESETS]) {
    // Without a preset, decoding starts from the defaults: d_model 768 and the default settings of the model's d.
    const base = p ? describeModel(p.config) : { ...baseDescription(null, target.dModel), dModel: 768 };
    const fields = modelFields(target, base);
    const text = p ? [p.id, ...fields].join(';') : fields.length > 0 ? fields.join(';') : `d:${target.dModel}`;
    if (best !== undefined && text.length >= best.length) continue;
    const back = decodeModel(text, 1);
    if (back.model && back.warnings.length === 0 && deepEqual(back.model, config)) best = text;
  }
  if (best !== undefined) return best;
  // Not reachable for a valid model; the full form keeps what can be kept.
  return [`d:${target.dModel}`, ...modelFields(target, { ...baseDescription(null, target.dModel), dModel: target.dModel })].join(';');
}

/** The fragment (without '#') for a Comparison, with optional attached results (`r=`). */
export function encodeComparison(c: Comparison, options: { attachedResults?: string } = {}): string {
  const parts = [`v=${URL_FORMAT_VERSION}`];
  for (const m of c.models) parts.push(`m=${encodeModel(m)}`);
  const s = c.sweep;
  parts.push(`seq=${s.seqStart}-${s.seqMax}`);
  if (!deepEqual(s.modes, DEFAULT_SWEEP.modes)) parts.push(`mode=${s.modes.join(',')}`);
  if (s.decodeSteps !== DEFAULT_SWEEP.decodeSteps) parts.push(`steps=${s.decodeSteps}`);
  if (s.warmup !== DEFAULT_SWEEP.warmup) parts.push(`warmup=${s.warmup}`);
  if (s.repeats !== DEFAULT_SWEEP.repeats) parts.push(`repeats=${s.repeats}`);
  const ch = c.charts;
  if (ch.logX !== DEFAULT_CHARTS.logX || ch.logY !== DEFAULT_CHARTS.logY) parts.push(`log=${(ch.logX ? 'x' : '') + (ch.logY ? 'y' : '') || 'none'}`);
  if (!deepEqual(ch.visible, DEFAULT_CHARTS.visible)) parts.push(`show=${ch.visible.length > 0 ? ch.visible.join(',') : 'none'}`);
  if (options.attachedResults) parts.push(`r=${options.attachedResults}`);
  return parts.join('&');
}

// ---- decoding -----------------------------------------------------------------------------------

interface DecodedModel {
  model?: ModelConfig;
  warnings: string[];
}

function parseSettings<T>(raw: string, fallback: T, fields: { key: keyof T; range: readonly [number, number]; integer: boolean; auto?: boolean }[], where: string, warnings: string[]): T {
  const parts = raw.split('-');
  const out = { ...fallback };
  if (parts.length > fields.length) warnings.push(`${where}: ignored ${parts.length - fields.length} extra value(s) in ${shown(raw)}`);
  fields.forEach((f, i) => {
    const p = parts[i];
    if (p === undefined || p === '') return;
    if (f.auto && p === 'a') {
      (out as Record<string, unknown>)[f.key as string] = 'auto';
      return;
    }
    const r = readNumber(p, f.range, f.integer);
    if (r.value === undefined) warnings.push(`${where}.${String(f.key)}: ${r.reason}; kept ${String(out[f.key])}`);
    else (out as Record<string, unknown>)[f.key as string] = r.value;
  });
  return out;
}

const MAMBA_FIELDS = [
  { key: 'dState', range: LIMITS.dState, integer: true },
  { key: 'dConv', range: LIMITS.dConv, integer: true },
  { key: 'expand', range: LIMITS.expand, integer: false },
  { key: 'dtRank', range: [1, 16384], integer: true, auto: true },
] as const satisfies readonly { key: keyof MambaSettings; range: readonly [number, number]; integer: boolean; auto?: boolean }[];
const ATTENTION_FIELDS = [
  { key: 'heads', range: LIMITS.heads, integer: true },
  { key: 'kvHeads', range: LIMITS.heads, integer: true },
  { key: 'headDim', range: LIMITS.headDim, integer: true, auto: true },
  { key: 'ropeBase', range: LIMITS.ropeBase, integer: false },
] as const satisfies readonly { key: keyof AttentionSettings; range: readonly [number, number]; integer: boolean; auto?: boolean }[];
const GLA_FIELDS = [
  { key: 'heads', range: LIMITS.glaHeads, integer: true },
  { key: 'expandK', range: LIMITS.glaExpand, integer: false },
  { key: 'expandV', range: LIMITS.glaExpand, integer: false },
] as const satisfies readonly { key: keyof GlaSettings; range: readonly [number, number]; integer: boolean }[];

/** `0-3,8` -> [0, 1, 2, 3, 8]; undefined when malformed. */
function decodeIndexes(raw: string, layerCount: number): number[] | undefined {
  const out: number[] = [];
  for (const part of raw.split(',')) {
    const m = /^(\d{1,4})(?:-(\d{1,4}))?$/.exec(part);
    if (!m) return undefined;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a || b >= layerCount) return undefined;
    for (let i = a; i <= b; i++) out.push(i);
  }
  return out;
}

/** One `m=` value -> a valid model (or none), with warnings prefixed by `model N`. */
export function decodeModel(text: string, position: number): DecodedModel {
  const warnings: string[] = [];
  const where = `model ${position}`;
  const fields = text.split(';');
  let base: ModelDescription | null = null;
  let basePreset: ModelConfig | undefined;
  let start = 0;
  if (fields[0] !== undefined && !fields[0].includes(':')) {
    const id = safeDecode(fields[0]);
    const p = getPreset(id);
    start = 1;
    if (p) {
      base = describeModel(p.config);
      basePreset = p.config;
    } else if (fields.length === 1) {
      return { warnings: [`${where}: unknown preset ${shown(id)}; model ignored (known: ${PRESETS.map((q) => q.id).join(', ')})`] };
    } else warnings.push(`${where}: unknown preset ${shown(id)}; read its other fields over the defaults`);
  }
  const kv = new Map<string, string>();
  const overrideFields: [string, string][] = [];
  for (const field of fields.slice(start)) {
    if (field === '') continue;
    const colon = field.indexOf(':');
    if (colon < 0) {
      warnings.push(`${where}: ignored ${shown(field)} (expected key:value)`);
      continue;
    }
    const key = field.slice(0, colon);
    const value = field.slice(colon + 1);
    if (key.startsWith('@')) overrideFields.push([key.slice(1), value]);
    else {
      if (kv.has(key)) warnings.push(`${where}: ${shown(key)} given twice; used the last`);
      kv.set(key, value);
    }
  }

  // Model-level numbers first: per-kind defaults depend on d.
  const readInt = (key: string, label: string, range: readonly [number, number], fallback: number): number => {
    const raw = kv.get(key);
    if (raw === undefined) return fallback;
    const r = readNumber(safeDecode(raw), range, true);
    if (r.value === undefined) warnings.push(`${where}: ${label} ${r.reason}; kept ${fallback}`);
    return r.value ?? fallback;
  };
  const defaults = baseDescription(base, 768);
  const dModel = readInt('d', 'dModel', LIMITS.dModel, defaults.dModel);
  const desc: ModelDescription = { ...baseDescription(base, dModel), dModel, overrides: [] };
  desc.settings = { ...desc.settings };
  desc.vocabSize = readInt('v', 'vocabSize', LIMITS.vocabSize, desc.vocabSize);
  desc.batch = readInt('b', 'batch', LIMITS.batch, desc.batch);
  if (kv.has('eps')) {
    const r = readNumber(safeDecode(kv.get('eps')!), LIMITS.normEps, false);
    if (r.value === undefined) warnings.push(`${where}: normEps ${r.reason}; kept ${desc.normEps}`);
    else desc.normEps = r.value;
  }
  if (kv.has('tie')) {
    const t = kv.get('tie');
    if (t === '1' || t === '0') desc.tiedEmbeddings = t === '1';
    else warnings.push(`${where}: tie ${shown(t!)} is not 0 or 1; kept ${desc.tiedEmbeddings ? 1 : 0}`);
  }
  if (kv.has('w')) {
    const w = safeDecode(kv.get('w')!);
    if ((WEIGHT_FORMATS as readonly string[]).includes(w)) desc.weightFormat = w as WeightFormat;
    else warnings.push(`${where}: weight format w ${shown(w)} is not ${WEIGHT_FORMATS.join(' or ')}; kept ${desc.weightFormat}`);
  }
  if (kv.has('kv')) {
    const k = safeDecode(kv.get('kv')!);
    if ((KV_CACHE_FORMATS as readonly string[]).includes(k)) desc.kvCacheFormat = k as KvCacheFormat;
    else warnings.push(`${where}: KV cache format kv ${shown(k)} is not ${KV_CACHE_FORMATS.join(' or ')}; kept ${desc.kvCacheFormat}`);
  }
  if (kv.has('name')) {
    const raw = decodeName(kv.get('name')!);
    const clean = sanitizeName(raw);
    if (clean !== raw) warnings.push(`${where}: name: removed markup, control characters or text past ${LIMITS.nameChars} characters`);
    desc.name = clean || DEFAULT_MODEL_NAME;
  }
  let codes: LayerCode[] | undefined;
  if (kv.has('p')) {
    const pattern = safeDecode(kv.get('p')!).replace(/_/g, ' ');
    const r = tryParsePattern(pattern);
    if (r.ok) {
      codes = r.layers;
      desc.pattern = pattern;
    } else warnings.push(`${where}: pattern ${shown(pattern)}: ${r.error.message}; kept ${shown(desc.pattern)}`);
  }
  codes ??= (tryParsePattern(desc.pattern) as { layers?: LayerCode[] }).layers ?? ['M'];
  const s: KindSettings = desc.settings;
  if (kv.has('M')) s.mamba = parseSettings(safeDecode(kv.get('M')!), s.mamba, [...MAMBA_FIELDS], `${where}: M`, warnings);
  if (kv.has('A')) s.attention = parseSettings(safeDecode(kv.get('A')!), s.attention, [...ATTENTION_FIELDS], `${where}: A`, warnings);
  if (kv.has('L')) s.gla = parseSettings(safeDecode(kv.get('L')!), s.gla, [...GLA_FIELDS], `${where}: L`, warnings);
  if (kv.has('F')) s.mlp = parseSettings(safeDecode(kv.get('F')!), s.mlp, [{ key: 'hidden', range: LIMITS.mlpHidden, integer: true, auto: true }], `${where}: F`, warnings);
  if (s.attention.headDim === 'auto' && dModel % s.attention.heads !== 0 && codes.some((c) => c.startsWith('A') || c.startsWith('G')))
    warnings.push(`${where}: d_model ${dModel} is not divisible by ${s.attention.heads} heads; headDim rounded down to ${Math.floor(dModel / s.attention.heads)}`);
  for (const key of kv.keys()) if (!['name', 'd', 'v', 'eps', 'tie', 'w', 'kv', 'b', 'p', 'M', 'A', 'L', 'F'].includes(key)) warnings.push(`${where}: ignored unknown field ${shown(key)}`);

  // Per-layer overrides.
  const overrides = new Map<number, LayerOverride>();
  for (const [rawIx, value] of overrideFields) {
    const ix = decodeIndexes(rawIx, codes.length);
    if (!ix) {
      warnings.push(`${where}: ignored override @${shown(rawIx)}: layer indexes must be like 3 or 0-3,8 and below ${codes.length}`);
      continue;
    }
    for (const part of safeDecode(value).split(',')) {
      const letter = part.slice(0, 1);
      const rest = part.slice(2);
      if (part[1] !== '-' || !['M', 'A', 'L', 'F'].includes(letter)) {
        warnings.push(`${where}: ignored override @${rawIx} ${shown(part)} (expected M-…, A-…, L-… or F-…)`);
        continue;
      }
      for (const i of ix) {
        const code = codes[i];
        const fits = letter === 'F' ? code === 'F' || code.endsWith('+') : letter === 'M' ? code.startsWith('M') : letter === 'L' ? code.startsWith('L') : code.startsWith('A') || code.startsWith('G');
        if (!fits) {
          warnings.push(`${where}: ignored override ${letter} for layer ${i}, which is ${code}`);
          continue;
        }
        const o = overrides.get(i) ?? { index: i };
        if (letter === 'M') o.mixer = resolveAuto(parseSettings(rest, s.mamba, [...MAMBA_FIELDS], `${where}: @${i} M`, warnings), dModel);
        else if (letter === 'A') o.mixer = resolveAuto(parseSettings(rest, s.attention, [...ATTENTION_FIELDS], `${where}: @${i} A`, warnings), dModel);
        else if (letter === 'L') o.mixer = parseSettings(rest, s.gla, [...GLA_FIELDS], `${where}: @${i} L`, warnings);
        else {
          const h = parseSettings(rest, s.mlp, [{ key: 'hidden', range: LIMITS.mlpHidden, integer: true, auto: true }], `${where}: @${i} F`, warnings).hidden;
          o.mlp = { hidden: h === 'auto' ? autoMlpHidden(dModel) : h };
        }
        overrides.set(i, o);
      }
    }
  }
  desc.overrides = [...overrides.values()].sort((a, b) => a.index - b.index);

  // Build and validate; step back (overrides, then settings, then the preset) until the model is valid.
  const attempts: [string, () => ModelDescription | ModelConfig][] = [
    ['', () => desc],
    ['without its per-layer overrides', () => ({ ...desc, overrides: [] })],
    ['with default settings per kind', () => ({ ...desc, overrides: [], settings: defaultKindSettings(desc.dModel) })],
  ];
  if (basePreset) attempts.push(['as the unchanged preset', () => basePreset!]);
  for (const [how, make] of attempts) {
    let config: ModelConfig;
    try {
      const candidate = make();
      config = 'layers' in candidate ? candidate : buildModel(candidate);
    } catch {
      continue;
    }
    const r = validateModel(config);
    if (r.ok) {
      if (how !== '') warnings.push(`${where}: loaded ${how}`);
      return { model: r.value, warnings };
    }
    if (how === '') warnings.push(`${where}: ${formatIssues(r.issues).replace(/\n/g, '; ')}`);
  }
  warnings.push(`${where}: could not be made valid; model ignored`);
  return { warnings };
}

function resolveAuto<T extends MambaSettings | AttentionSettings>(s: T, dModel: number): T {
  if ('dtRank' in s && s.dtRank === 'auto') return { ...s, dtRank: autoDtRank(dModel) };
  if ('headDim' in s && s.headDim === 'auto') return { ...s, headDim: Math.max(1, Math.floor(dModel / s.heads)) };
  return s;
}

/** Reads a fragment (with or without '#', or a whole link). Never throws; always returns a valid Comparison. */
export function decodeComparison(fragment: string): DecodedComparison {
  try {
    return decodeUnsafe(fragment);
  } catch (e) {
    return { comparison: defaultComparison(), warnings: [`could not read the link (${(e as Error).message}); started from the defaults`] };
  }
}

function decodeUnsafe(input: string): DecodedComparison {
  const warnings: string[] = [];
  let text = fragmentOf(String(input ?? '')).trim();
  if (text.length > MAX_FRAGMENT_CHARS) {
    warnings.push(`link longer than ${MAX_FRAGMENT_CHARS} characters; read the first ${MAX_FRAGMENT_CHARS}`);
    text = text.slice(0, MAX_FRAGMENT_CHARS);
  }
  const fallback = defaultComparison();
  if (text === '') return { comparison: fallback, warnings };

  let fields: Fields = text
    .split('&')
    .filter((p) => p !== '')
    .map((p) => {
      const eq = p.indexOf('=');
      return eq < 0 ? [p, ''] : [p.slice(0, eq), p.slice(eq + 1)];
    });

  // Version and migrations.
  const versionField = fields.find(([k]) => k === 'v');
  let version = URL_FORMAT_VERSION;
  if (!versionField) warnings.push(`no version (v=); read as version ${URL_FORMAT_VERSION}`);
  else if (!/^\d{1,6}$/.test(versionField[1]) || Number(versionField[1]) < 1) warnings.push(`version ${shown(versionField[1])} is not a version number; read as version ${URL_FORMAT_VERSION}`);
  else version = Number(versionField[1]);
  if (version > URL_FORMAT_VERSION) {
    warnings.push(`link version ${version} is newer than this page (version ${URL_FORMAT_VERSION}); read what this version understands`);
    version = URL_FORMAT_VERSION;
  }
  for (let ver = version; ver < URL_FORMAT_VERSION; ver++) fields = MIGRATIONS[ver]?.(fields) ?? fields;

  const comparison: Comparison = { ...fallback, models: [] };
  const sweep = { ...fallback.sweep };
  const charts = { ...fallback.charts };
  let attachedResults: string | undefined;
  let modelCount = 0;
  const seen = new Set<string>();
  for (const [key, value] of fields) {
    if (key !== 'm' && seen.has(key)) warnings.push(`${shown(key)} given twice; used the last`);
    seen.add(key);
    switch (key) {
      case 'v':
        break;
      case 'm': {
        modelCount++;
        if (comparison.models.length >= LIMITS.models[1]) {
          if (modelCount === LIMITS.models[1] + 1) warnings.push(`more than ${LIMITS.models[1]} models; ignored the rest`);
          break;
        }
        const r = decodeModel(value, modelCount);
        warnings.push(...r.warnings);
        if (r.model) comparison.models.push(r.model);
        break;
      }
      case 'seq': {
        const m = /^(\d{1,8})-(\d{1,8})$/.exec(value);
        const a = m ? Number(m[1]) : NaN;
        const b = m ? Number(m[2]) : NaN;
        if (!m || a < LIMITS.seqLen[0] || b > LIMITS.seqLen[1] || a > b) warnings.push(`seq ${shown(value)} is not START-MAX with 1 <= START <= MAX <= ${LIMITS.seqLen[1]}; kept ${sweep.seqStart}-${sweep.seqMax}`);
        else {
          sweep.seqStart = a;
          sweep.seqMax = b;
        }
        break;
      }
      case 'mode': {
        const modes = value.split(',').filter((x) => x !== '');
        const good = modes.filter((x): x is SweepMode => (SWEEP_MODES as readonly string[]).includes(x));
        const unique = [...new Set(good)];
        if (unique.length !== modes.length) warnings.push(`mode ${shown(value)}: ignored unknown or repeated modes (known: ${SWEEP_MODES.join(', ')})`);
        if (unique.length > 0) sweep.modes = unique;
        break;
      }
      case 'steps':
      case 'warmup':
      case 'repeats': {
        const prop = key === 'steps' ? 'decodeSteps' : key;
        const range = key === 'steps' ? LIMITS.decodeSteps : LIMITS[key];
        const r = readNumber(value, range, true);
        if (r.value === undefined) warnings.push(`${key} ${r.reason}; kept ${sweep[prop]}`);
        else sweep[prop] = r.value;
        break;
      }
      case 'log':
        if (!['x', 'y', 'xy', 'yx', 'none'].includes(value)) warnings.push(`log ${shown(value)} is not x, y, xy or none; kept the default`);
        else {
          charts.logX = value.includes('x');
          charts.logY = value.includes('y');
        }
        break;
      case 'show': {
        if (value === 'none') {
          charts.visible = [];
          break;
        }
        const ids = value.split(',').filter((x) => x !== '');
        const good = [...new Set(ids.filter((x): x is ChartId => (CHART_IDS as readonly string[]).includes(x)))];
        if (good.length !== ids.length) warnings.push(`show ${shown(value)}: ignored unknown or repeated charts (known: ${CHART_IDS.join(', ')})`);
        charts.visible = good;
        break;
      }
      case 'r':
        if (value.length > MAX_RESULTS_CHARS) warnings.push(`attached results longer than ${MAX_RESULTS_CHARS} characters; ignored`);
        else if (!RESULTS_ALPHABET.test(value)) warnings.push('attached results hold characters outside the URL-safe alphabet; ignored');
        else if (value !== '') attachedResults = value;
        break;
      default:
        warnings.push(`ignored unknown field ${shown(key)}`);
    }
  }
  if (comparison.models.length === 0) {
    warnings.push(modelCount === 0 ? 'no models in the link; started from the default models' : 'none of the models could be read; started from the default models');
    comparison.models = fallback.models;
  }
  comparison.sweep = sweep;
  comparison.charts = charts;
  return attachedResults === undefined ? { comparison, warnings } : { comparison, warnings, attachedResults };
}
