// Model calculator: `npm run --silent model -- (--preset ID | --config FILE_OR_LINK) [--seq L] [--batch B] [--json]`.
// Prints parameters, FLOPs per token and memory at sequence length L from the cost model (no GPU).
// --config takes a JSON file (a model or a Comparison) or a share link / fragment. Exit codes: 0 ok,
// 1 invalid or unreadable config, 2 usage (unknown flag or preset).

import { readFileSync } from 'node:fs';
import { formatIssues, LIMITS, migrateComparison, validateComparison, validateModel, type ModelConfig } from '../model/config';
import { costModel, type ModelCost } from '../model/cost-model';
import { patternOf } from '../model/build';
import { getPreset, matchPreset, PRESETS } from '../model/presets';
import { hasKvCache, KV_CACHE_FORMAT_LABELS, WEIGHT_FORMAT_LABELS } from '../model/storage-format';
import { decodeComparison } from '../url/codec';

const USAGE = `usage: npm run --silent model -- (--preset ID | --config FILE_OR_LINK) [--seq L] [--batch B] [--json]
  --preset ID        one of: ${PRESETS.map((p) => p.id).join(', ')}
  --config PATH      a JSON model or Comparison, or a share link (URL with #v=1&...)
  --seq L            sequence length for prefill, context for decode (default 2048)
  --batch B          sequences (default: the model's batch)
  --json             print JSON instead of a table
`;

class UsageError extends Error {}
class ConfigError extends Error {}

interface Args {
  preset?: string;
  config?: string;
  seqLen: number;
  batch?: number;
  json: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { seqLen: 2048, json: false };
  const positiveInt = (flag: string, raw: string | undefined, max: number): number => {
    const n = Number(raw);
    if (raw === undefined || !/^\d+$/.test(raw) || n < 1 || n > max) throw new UsageError(`${flag} needs an integer from 1 to ${max}, got ${raw === undefined ? 'nothing' : JSON.stringify(raw)}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => {
      if (inline !== undefined) return inline;
      const next = argv[++i];
      if (next === undefined) throw new UsageError(`${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case '--preset':
        args.preset = value();
        break;
      case '--config':
        args.config = value();
        break;
      case '--seq':
        args.seqLen = positiveInt('--seq', value(), LIMITS.seqLen[1]);
        break;
      case '--batch':
        args.batch = positiveInt('--batch', value(), LIMITS.batch[1]);
        break;
      case '--json':
        args.json = true;
        break;
      case '--help':
      case '-h':
        throw new UsageError('');
      default:
        throw new UsageError(`unknown argument ${JSON.stringify(a)}`);
    }
  }
  if ((args.preset === undefined) === (args.config === undefined)) throw new UsageError('give exactly one of --preset or --config');
  return args;
}

/** Models named by the arguments, with any warnings from reading a link. */
function loadModels(args: Args): { models: { id?: string; config: ModelConfig }[]; warnings: string[] } {
  if (args.preset !== undefined) {
    const p = getPreset(args.preset);
    if (!p) throw new UsageError(`unknown preset ${JSON.stringify(args.preset)}; known presets: ${PRESETS.map((q) => q.id).join(', ')}`);
    return { models: [{ id: p.id, config: p.config }], warnings: [] };
  }
  const source = args.config!;
  const looksLikeLink = source.includes('#') || /^v=\d/.test(source) || /^https?:/.test(source);
  if (looksLikeLink) {
    const d = decodeComparison(source);
    if (d.warnings.some((w) => w.includes('started from the default models'))) throw new ConfigError(`no model could be read from the link:\n${d.warnings.map((w) => `  ${w}`).join('\n')}`);
    return { models: d.comparison.models.map((config) => ({ id: matchPreset(config)?.id, config })), warnings: d.warnings };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(source, 'utf8'));
  } catch (e) {
    throw new ConfigError(`cannot read ${source}: ${(e as Error).message}`);
  }
  const isComparison = typeof raw === 'object' && raw !== null && 'models' in raw;
  const r = isComparison ? validateComparison(migrateComparison(raw)) : validateModel(raw);
  if (!r.ok) throw new ConfigError(`${source} is not a valid ${isComparison ? 'comparison' : 'model'}:\n${formatIssues(r.issues).replace(/^/gm, '  ')}`);
  const models = 'models' in r.value ? r.value.models : [r.value];
  return { models: models.map((config) => ({ id: matchPreset(config)?.id, config })), warnings: [] };
}

function report(id: string | undefined, config: ModelConfig, args: Args) {
  const prefill = costModel(config, { seqLen: args.seqLen, batch: args.batch, mode: 'prefill' });
  const decode = costModel(config, { seqLen: args.seqLen, batch: args.batch, mode: 'decode' });
  return { id, name: config.name, pattern: patternOf(config), config, seqLen: args.seqLen, batch: prefill.batch, prefill, decode };
}

const group = (n: number): string => Math.round(n).toLocaleString('en-US');
function si(n: number, unit: string): string {
  const steps: [number, string][] = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  for (const [f, p] of steps) if (Math.abs(n) >= f) return `${(n / f).toFixed(2)} ${p}${unit}`;
  return `${n} ${unit}`;
}
function bytes(n: number): string {
  const steps: [number, string][] = [[2 ** 30, 'GiB'], [2 ** 20, 'MiB'], [2 ** 10, 'KiB']];
  for (const [f, u] of steps) if (n >= f) return `${(n / f).toFixed(2)} ${u}`;
  return `${n} B`;
}

/** The summary line's note on an fp16 KV cache; without an attention layer there is no KV cache to shrink. */
function kvCacheNote(config: ModelConfig): string {
  if (config.kvCacheFormat !== 'f16') return '';
  return `, ${KV_CACHE_FORMAT_LABELS.f16} KV cache${hasKvCache(config) ? '' : ' (no attention layer: no KV cache to shrink)'}`;
}

function table(r: ReturnType<typeof report>): string {
  const p = r.prefill.params;
  const pad = (s: string, n: number) => s.padEnd(n);
  const padL = (s: string, n: number) => s.padStart(n);
  const lines = [
    `${r.name}${r.id ? ` (${r.id})` : ''}: ${r.pattern}, d_model ${r.config.dModel}, vocabulary ${r.config.vocabSize}${r.config.tiedEmbeddings ? ', tied embeddings' : ''}${r.config.weightFormat === 'f16' ? `, ${WEIGHT_FORMAT_LABELS.f16}` : ''}${kvCacheNote(r.config)}`,
    '',
    `parameters      ${padL(group(p.total), 15)}`,
    `  embedding     ${padL(group(p.embedding), 15)}`,
    ...(p.lmHead ? [`  lm_head       ${padL(group(p.lmHead), 15)}`] : []),
    `  layers        ${padL(group(p.layers), 15)}   (${p.perLayer.length} layers)`,
    `  final norm    ${padL(group(p.finalNorm), 15)}`,
    '',
    `at L = ${r.seqLen}, batch ${r.batch}   ${pad('prefill', 14)}${pad('decode', 14)}`,
    `FLOPs / token        ${padL(si(r.prefill.flopsPerToken.prefill, 'FLOP'), 14)}${padL(si(r.prefill.flopsPerToken.decode, 'FLOP'), 14)}`,
  ];
  const row = (label: string, key: keyof ModelCost['bytes']) => `${pad(label, 21)}${padL(bytes(r.prefill.bytes[key]), 14)}${padL(bytes(r.decode.bytes[key]), 14)}`;
  lines.push(row('weights', 'weights'), row('activations', 'activations'), row('decode state', 'cache'), row('scratch', 'scratch'), row('total', 'total'));
  return lines.join('\n');
}

function json(r: ReturnType<typeof report>) {
  const p = r.prefill.params;
  return {
    id: r.id,
    name: r.name,
    pattern: r.pattern,
    seqLen: r.seqLen,
    batch: r.batch,
    params: { total: p.total, embedding: p.embedding, lmHead: p.lmHead, finalNorm: p.finalNorm, layers: p.layers, perLayer: p.perLayer.map((l) => ({ index: l.index, code: l.code, mixer: l.mixer, mlp: l.mlp, norms: l.norms, total: l.total })) },
    flopsPerToken: { prefill: r.prefill.flopsPerToken.prefill, decode: r.prefill.flopsPerToken.decode },
    bytes: { prefill: r.prefill.bytes, decode: r.decode.bytes },
    config: r.config,
  };
}

function main(): number {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) {
      if (e.message) process.stderr.write(`model: ${e.message}\n`);
      process.stderr.write(USAGE);
      return 2;
    }
    throw e;
  }
  let loaded: ReturnType<typeof loadModels>;
  try {
    loaded = loadModels(args);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`model: ${e.message}\n`);
      return 2;
    }
    if (e instanceof ConfigError) {
      process.stderr.write(`model: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  for (const w of loaded.warnings) process.stderr.write(`model: warning: ${w}\n`);
  const reports = loaded.models.map((m) => report(m.id, m.config, args));
  if (args.json) {
    const out = reports.length === 1 ? json(reports[0]) : { models: reports.map(json) };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } else {
    process.stdout.write(`${reports.map(table).join('\n\n')}\n`);
  }
  return 0;
}

try {
  process.exitCode = main();
} catch (e) {
  process.stderr.write(`model: ${(e as Error).message}\n`);
  process.exitCode = 1;
}
