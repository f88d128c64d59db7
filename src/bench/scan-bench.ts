// Selective-scan benchmark: the chunked (parallel over the sequence) scan against the sequential baseline
// and against a vec4 copy kernel measured in the same run. Effective bandwidth counts each input read once
// and the output written once (../shared/gpu/README.md): bytes = 4·(4·B·L·D + 2·B·L·N) for u, delta, z, y
// of (B, L, D) and B, C of (B, L, N). Inputs are random; the fast output is checked against the sequential
// one. Dimensions: B batch, L seqLen, D dInner, N dState.
// The copy bandwidth is the best of several copy configurations (COPY_CONFIGS). Each row gives wall time per
// iteration (one submit each, as an application runs it) and GPU time from timestamp queries around a batch
// of iterations in one pass (when the adapter has timestamp-query), which leaves out per-submit overhead;
// the best copy configuration is timed both ways too ("gpu/copy gpu %": both on GPU time).
// Decay rows (the main sizes): polyFraction 0 .. 1, the share of the decays exp(dt·A) computed by the
// polynomial exp2 (FMA and integer pipes) instead of the special-function unit, and diagnostic rows
// ("diagnostic: ..."): wrong results, left out of the correctness check, that replace special-function
// ops (no exp in the decays; no softplus; no special-function op at all) to bound what those ops cost,
// or run one pass of the three alone (its share of the time).
// Special-function rows (MUFU_SWEEP, the --quick set at the main sizes): the gate forms (gate=div: exp and
// a division; gate=tanh: one tanh; gate=fma: one exp2 and an FMA reciprocal), the branch-free softplus
// (sp=select), and deltaInPlace (in-place: the chunk-local pass writes dt over delta, the output pass reads
// it instead of recomputing bias and softplus). An in-place call overwrites its delta, so each timed
// iteration first copies the pristine delta into the working tensor (copyVec4, same submit) and then
// scans; the copy alone is timed the same way (row "copy delta") and subtracted: the in-place rows' ms are
// (copy + scan) - copy, the totals are in the JSON. The "output pass only" in-place rows need no copy (that
// pass reads dt and writes nothing to delta): the working tensor holds dt from one full in-place call made
// before timing. Each in-place row's output is checked against the sequential kernel's from a fresh copy of
// delta, and the first one's delta afterwards against dt computed on the host.
// Usage: node --import tsx --import ./scripts/wgsl-hooks.mjs src/bench/scan-bench.ts [--small] [--quick | --lengths] [--out FILE.json]
//        (npm run --silent bench:scan -- [--small] [--quick] [--out FILE.json])
//        --subgroup: the subgroup scan beside the chunked one (its shapes and diagnostics at the main
//        sizes); --probe: the same rows at B=1 L=8192 D=3072 only; --chunked: the three main sizes with
//        CHUNKED_ROWS (load-group, block and chunk sizes; each pass's resident workgroups); --main: the three
//        main sizes, default rows, each pass alone and without special-function ops;
//        WEBGPU_DAWN_FLAGS (environment): Dawn flags, e.g. enable-dawn-features=disable_robustness;
//        --chunks 56,64,75: the main sizes run in several chunks at these chunk lengths;
//        --bound: B=1 L=8192 D=3072 (with --small: B=1 L=1024 D=192), each chunked pass with parts of its work taken out (BOUND_ROWS);
//        --submits: the same size, the default scan and a copy recorded 1-8 times per submit (wall time, host time, GPU time);
//        --quick: the three main sizes only, with the special-function rows (MUFU_SWEEP); --lengths: B=1 D=2048 at L = 512 .. 65536 only,
//        default settings.

import type { Engine } from '../engine/engine';
import { createNodeEngine } from '../engine/node-gpu';
import type { Tensor } from '../engine/tensor';
import { COPY_CONFIGS, copyConfigName, copyVec4, type CopyConfig } from '../kernels/copy';
import { DEFAULT_GATE, DEFAULT_POLY_FRACTION, DEFAULT_SOFTPLUS, chooseScanVariant, defaultChunkLen, packScanChannels, scanPolyElems, selectiveScan, stateVec4Count, type ScanTuning, type ScanVariant } from '../kernels/selective-scan';
import { normalArray, relativeError, uniformArray } from '../testing/random';
import { parseArgs, printTable, residentWorkgroups, timeIterations, writeJson, type Timing } from './harness';

interface Size {
  batch: number;
  seqLen: number;
  dInner: number;
  dState: number;
  /** Extra rows for these chunk lengths (tuning figures). */
  chunkSweep?: number[];
  /** Extra rows for these tunings, at the default chunk length unless the row names one. */
  tuningSweep?: SweepRow[];
  main?: boolean;
}

/** A tuning row, optionally at its own chunk length, optionally with deltaInPlace, optionally of a named variant. */
type SweepRow = ScanTuning & { chunkLen?: number; inPlace?: boolean; variant?: ScanVariant };

/**
 * --subgroup and --probe: the subgroup scan (lanes of a subgroup split each chunk) beside the three-pass
 * chunked one: its workgroup shapes around the defaults (tokens per lane, channels per workgroup, states
 * staged together, lanes), the gate and softplus forms, and the diagnostics (no special-function ops, no
 * exp, no state recurrence at all).
 */
const SUBGROUP_ROWS: SweepRow[] = [
  { variant: 'chunked' },
  { variant: 'subgroup' },
  ...[{ items: 4 }, { items: 16 }, { channels: 4 }, { channels: 32 }, { stateGroup: 8 }, { lanes: 32 }].map((subgroup) => ({ variant: 'subgroup' as const, subgroup })),
  { variant: 'subgroup', gate: 'fma' },
  { variant: 'subgroup', softplus: 'select' },
  ...(['no-sfu', 'no-exp', 'no-states'] as const).map((diagnostic) => ({ variant: 'subgroup' as const, diagnostic })),
];

/**
 * --chunked: load-group and block sizes and chunk lengths around the defaults (more tokens' loads issued
 * together: 12 and 16 against the default 8; staged blocks of 16 tokens; chunks of 96 tokens, between the
 * two lengths measured before, and 128 with 16-token load groups), each with the resident workgroups of
 * each pass, beside the default. On an H200 none was faster (docs/measurements/h200/run-2026-12-02c/
 * scan-chunked.json). Earlier sets (polynomial decays per pass, each pass without softplus or exp) are in
 * docs/measurements/h200/run-2026-12-02b/.
 */
const CHUNKED_ROWS: SweepRow[] = [{ unroll: 12 }, { unroll: 16 }, { block: 16 }, { block: 64, unroll: 16 }, { chunkLen: 96 }, { chunkLen: 128, unroll: 16 }, {}];

/** --main: the main sizes with each pass alone (several chunks) and without special-function ops. */
const MAIN_ROWS: SweepRow[] = [...(['local', 'output'] as const).map((onlyPass) => ({ onlyPass })), { diagnostic: 'no-sfu' }];

/**
 * --bound: B=1 L=8192 D=3072 only, each chunked pass alone with parts of its work taken out (wrong results),
 * to find what binds it: the special-function ops, the staged B/C reads, the token loads (delta, u, z), the
 * y stores, and all of them (the arithmetic alone), beside the whole scan.
 */
const BOUND_ROWS: SweepRow[] = [
  {},
  ...(['output', 'local'] as const).flatMap((onlyPass): SweepRow[] => [
    { onlyPass },
    { onlyPass, diagnostic: 'no-sfu' },
    { onlyPass, diagnostic: 'no-bc-reads' },
    { onlyPass, diagnostic: 'no-token-loads' },
    ...(onlyPass === 'output' ? [{ onlyPass, diagnostic: 'no-y-stores' as const }] : []),
    { onlyPass, diagnostic: ['no-bc-reads', 'no-token-loads', 'no-y-stores'] },
    { onlyPass, diagnostic: ['no-sfu', 'no-bc-reads', 'no-token-loads', 'no-y-stores'] },
  ]),
  {},
];

/** --chunked at a size whose default is one chunk (the output pass alone). */
const CHUNKED_SINGLE_ROWS: SweepRow[] = [1, 2].map((k) => ({ polyFraction: k / 16 }));

/**
 * Special-function ops per (token, channel), for --quick at the main sizes: the previous forms (gate div,
 * softplus branch) named explicitly, each change alone and together, each pass alone, and the diagnostic
 * without special-function ops. In-place rows only where the scan runs in several chunks.
 */
function mufuSweep(severalChunks: boolean): SweepRow[] {
  const IP: SweepRow = { inPlace: true };
  const rows: SweepRow[] = [
    { gate: 'div', softplus: 'branch' },
    { gate: 'fma' },
    { gate: 'tanh' },
    { softplus: 'select' },
    { gate: 'fma', softplus: 'select' },
  ];
  if (severalChunks) {
    rows.push(
      IP,
      { ...IP, gate: 'div', softplus: 'branch' },
      { ...IP, gate: 'fma' },
      { ...IP, gate: 'tanh' },
      { ...IP, gate: 'fma', softplus: 'select' },
      ...(['local', 'carry', 'output'] as const).map((onlyPass) => ({ onlyPass })),
      { gate: 'fma', onlyPass: 'output' },
      { ...IP, onlyPass: 'local' },
      { ...IP, onlyPass: 'output' },
      { ...IP, gate: 'fma', onlyPass: 'output' },
      { diagnostic: 'no-sfu', onlyPass: 'local' },
      { diagnostic: 'no-sfu', onlyPass: 'output' },
    );
  }
  rows.push({ diagnostic: 'no-sfu' });
  return rows;
}

/** Decay rows: shares of polynomial decays, then the diagnostics (wrong results). */
const DECAY_SWEEP: ScanTuning[] = [
  ...[0, 1 / 8, 1 / 4, 1 / 2, 3 / 4, 1].map((polyFraction) => ({ polyFraction })),
  { diagnostic: 'no-exp' },
  { diagnostic: 'no-softplus', polyFraction: 0 },
  { diagnostic: 'no-softplus' },
  { diagnostic: 'no-sfu' },
];

/** Each pass of the three alone (sizes of several chunks): default decays, then without special-function ops. */
const PASS_SWEEP: ScanTuning[] = [
  ...(['local', 'carry', 'output'] as const).map((onlyPass) => ({ onlyPass })),
  ...(['local', 'output'] as const).map((onlyPass) => ({ onlyPass, diagnostic: 'no-sfu' as const })),
];

/**
 * Pipelined loads (pipe), tokens per load group (ku) and per staged block (tb), workgroup sizes and chunk
 * lengths; one row with the chunk-local pass's channels split over two invocations (sL; splits were slower
 * in every configuration on an H200: docs/measurements/h200/scan-pipeline.json); each pass alone; without
 * special-function ops.
 */
const PIPE: SweepRow = { pipeline: true };
const PIPE_SPLIT_SWEEP: SweepRow[] = [
  PIPE,
  { unroll: 4 },
  { ...PIPE, unroll: 4 },
  { unroll: 4, workgroupSize: 256 },
  { ...PIPE, unroll: 4, workgroupSize: 256 },
  { unroll: 4, chunkLen: 128 },
  { ...PIPE, unroll: 4, chunkLen: 128 },
  { block: 64 },
  { unroll: 4, block: 64 },
  { ...PIPE, unroll: 4, block: 64 },
  { ...PIPE, unroll: 2 },
  { unroll: 6 },
  { splitLocal: 2 },
  { diagnostic: 'no-sfu' },
  { unroll: 4, diagnostic: 'no-sfu' },
  ...(['local', 'carry', 'output'] as const).map((onlyPass) => ({ onlyPass })),
  { unroll: 4, onlyPass: 'local' },
  { ...PIPE, unroll: 4, onlyPass: 'local' },
  { unroll: 4, onlyPass: 'output' },
  { ...PIPE, unroll: 4, onlyPass: 'output' },
  { ...PIPE, onlyPass: 'output' },
];

/** The same for a size whose default is one chunk (the output pass alone). */
const PIPE_SPLIT_SINGLE_SWEEP: SweepRow[] = [
  PIPE,
  { ...PIPE, workgroupSize: 256 },
  { unroll: 4 },
  { ...PIPE, unroll: 4 },
  { ...PIPE, unroll: 4, workgroupSize: 256 },
  { ...PIPE, block: 64 },
  { splitOutput: 2 },
  { diagnostic: 'no-sfu' },
];

const FULL_SIZES: Size[] = [
  { batch: 1, seqLen: 8192, dInner: 3072, dState: 16, main: true, chunkSweep: [128], tuningSweep: PIPE_SPLIT_SWEEP },
  { batch: 8, seqLen: 2048, dInner: 2048, dState: 16, main: true, chunkSweep: [64], tuningSweep: PIPE_SPLIT_SWEEP.filter((t) => !t.onlyPass) },
  { batch: 64, seqLen: 512, dInner: 2048, dState: 16, main: true, tuningSweep: PIPE_SPLIT_SINGLE_SWEEP },
  { batch: 1, seqLen: 512, dInner: 2048, dState: 16, chunkSweep: [16, 64] },
  { batch: 1, seqLen: 1024, dInner: 2048, dState: 16 },
  { batch: 1, seqLen: 2048, dInner: 2048, dState: 16, chunkSweep: [32, 128] },
  { batch: 1, seqLen: 4096, dInner: 2048, dState: 16 },
  { batch: 1, seqLen: 8192, dInner: 2048, dState: 16 },
  { batch: 1, seqLen: 16384, dInner: 2048, dState: 16, chunkSweep: [256] },
  { batch: 1, seqLen: 32768, dInner: 2048, dState: 16 },
  { batch: 1, seqLen: 65536, dInner: 2048, dState: 16, chunkSweep: [256] },
  { batch: 4, seqLen: 4096, dInner: 1536, dState: 16, chunkSweep: [128] },
  { batch: 16, seqLen: 2048, dInner: 2048, dState: 16, chunkSweep: [256, 2048] },
  { batch: 2, seqLen: 8192, dInner: 4096, dState: 16 },
];

const SMALL_SIZES: Size[] = [
  { batch: 1, seqLen: 1024, dInner: 192, dState: 16, main: true, chunkSweep: [32, 64, 1024], tuningSweep: [{ workgroupSize: 32 }, { unroll: 4 }, { stage: false }, PIPE, { ...PIPE, splitLocal: 2, splitOutput: 2, chunkLen: 64 }, ...DECAY_SWEEP, ...PASS_SWEEP] },
  { batch: 4, seqLen: 256, dInner: 128, dState: 16 },
  { batch: 16, seqLen: 64, dInner: 128, dState: 16 },
  ...[512, 2048].map((seqLen) => ({ batch: 1, seqLen, dInner: 128, dState: 16 })),
];

const UPLOAD_PIECE = 1 << 22;

/** A tensor filled with random values, generated and uploaded piece by piece (no host copy of the whole). */
function randomTensor(engine: Engine, shape: number[], seed: number, kind: 'normal' | 'delta', label: string): Tensor {
  const t = engine.tensor(shape, 'activations', label);
  for (let at = 0, piece = 0; at < t.numel; at += UPLOAD_PIECE, piece++) {
    const n = Math.min(UPLOAD_PIECE, t.numel - at);
    const data = kind === 'normal' ? normalArray(n, seed * 1000 + piece) : uniformArray(n, seed * 1000 + piece, -4, 1);
    engine.write(t, data, at);
  }
  return t;
}

function scanBytes(s: Size): number {
  const tokens = s.batch * s.seqLen;
  return 4 * (4 * tokens * s.dInner + 2 * tokens * s.dState);
}

async function copyBandwidth(engine: Engine, floats: number): Promise<{ gbPerS: number; timing: Timing; gpu: { ms: number; source: string }; gbPerSGpu: number; bytes: number; config: string; best: CopyConfig; configs: { config: string; gbPerS: number; timing: Timing }[] }> {
  const src = randomTensor(engine, [floats], 99, 'normal', 'copy.src');
  const dst = engine.tensor([floats], 'scratch', 'copy.dst');
  const bytes = 2 * 4 * floats; // read + write
  const configs: { config: string; gbPerS: number; timing: Timing }[] = [];
  let best: { config: CopyConfig; timing: Timing } | null = null;
  for (const config of COPY_CONFIGS) {
    const timing = await timeIterations(engine, () => copyVec4(engine, src, dst, config));
    configs.push({ config: copyConfigName(config), gbPerS: bytes / timing.msMedian / 1e6, timing });
    console.error(`copy_vec4 ${copyConfigName(config)}: ${(bytes / timing.msMedian / 1e6).toFixed(1)} GB/s`);
    if (!best || timing.msMedian < best.timing.msMedian) best = { config, timing };
  }
  // The best configuration timed as the scans' "gpu ms" are (timestamps around a batch in one pass).
  const gpu = await gpuTime(engine, () => copyVec4(engine, src, dst, best!.config), Math.max(1, Math.min(50, Math.round(20 / Math.max(best!.timing.msMedian, 0.05)))));
  console.error(`copy_vec4 ${copyConfigName(best!.config)}: gpu ${gpu.ms.toFixed(3)} ms = ${(bytes / gpu.ms / 1e6).toFixed(1)} GB/s`);
  const ok = relativeError(await engine.read(dst), await engine.read(src));
  if (ok !== 0) console.error(`WARNING: copy_vec4 output differs from its input (${ok})`);
  [src, dst].forEach((t) => t.release());
  return { gbPerS: bytes / best!.timing.msMedian / 1e6, timing: best!.timing, gpu, gbPerSGpu: bytes / gpu.ms / 1e6, bytes, config: copyConfigName(best!.config), best: best!.config, configs };
}

/** GPU time per iteration from timestamp queries around `iters` iterations recorded in one pass (median of 3). */
async function gpuTime(engine: Engine, record: () => void, iters: number): Promise<{ ms: number; source: string }> {
  const samples: number[] = [];
  let source = 'wall';
  for (let r = 0; r < 3; r++) {
    const t = await engine.timeBatch(() => {
      for (let i = 0; i < iters; i++) record();
    });
    samples.push(t.ms / iters);
    source = t.source;
  }
  samples.sort((a, b) => a - b);
  return { ms: samples[1], source };
}

/**
 * --bound: whether this device's exp2 and multiplies give subnormal results or flush them to zero (WGSL
 * leaves it to the implementation). Where exp2 keeps subnormals, its special-function op needs range
 * fix-up instructions around it (the op itself flushes): the decays' cost is more than the op.
 */
async function subnormalProbe(engine: Engine): Promise<{ x: number; exp2: number; half: number }[]> {
  const xs = new Float32Array([-125, -126.5, -130, -140, -149, 1.5e-38, 2e-38, 1e-37]);
  const x = engine.upload(xs, [xs.length], 'scratch', 'subnormal.x');
  const out = engine.tensor([2 * xs.length], 'scratch', 'subnormal.out');
  const code = `@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> Out: array<f32>;
@compute @workgroup_size(${xs.length})
fn main(@builtin(local_invocation_index) i: u32) {
  Out[i] = exp2(X[i]);
  Out[${xs.length}u + i] = X[i] * 0.25;
}`;
  engine.dispatch('subnormal_probe', engine.pipeline('subnormal_probe', () => ({ code })), [x, out], [1, 1, 1]);
  const got = await engine.read(out);
  [x, out].forEach((t) => t.release());
  return Array.from(xs, (v, i) => ({ x: v, exp2: got[i], half: got[xs.length + i] }));
}

/** Polynomial decays as state slots of all, e.g. `poly=8/16`. */
function polyName(fraction: number, dState: number): string {
  const v4 = stateVec4Count(dState);
  return `poly=${scanPolyElems(fraction, v4)}/${4 * v4}`;
}

function tuningName(t: ScanTuning, dState: number): string {
  return [
    t.pipeline !== undefined ? (t.pipeline ? 'pipe' : 'no-pipe') : '',
    t.splitLocal ? `sL=${t.splitLocal}` : '',
    t.splitOutput ? `sO=${t.splitOutput}` : '',
    t.workgroupSize ? `wg=${t.workgroupSize}` : '',
    t.unroll ? `ku=${t.unroll}` : '',
    t.block ? `tb=${t.block}` : '',
    t.stage === false ? 'no-stage' : '',
    t.polyFraction !== undefined ? polyName(t.polyFraction, dState) + (t.polyPass ? ` (${t.polyPass} pass)` : '') : '',
    t.diagnostic ? `diagnostic: ${(Array.isArray(t.diagnostic) ? t.diagnostic : [t.diagnostic]).map((d) => d.replaceAll('-', ' ')).join(' + ')}` : '',
    t.gate ? `gate=${t.gate}` : '',
    t.softplus ? `sp=${t.softplus}` : '',
    t.onlyPass ? `diagnostic: ${t.onlyPass} pass only` : '',
    t.subgroup ? Object.entries(t.subgroup).map(([k, v]) => `${k}=${v}`).join(',') : '',
  ]
    .filter(Boolean)
    .join(',');
}

async function main() {
  const { flags, values } = parseArgs(process.argv.slice(2));
  const small = flags.has('small');
  const engine = await createNodeEngine();
  // --lengths: the sequence-length sweep alone (B=1, D=2048, L = 512 .. 65536), default settings only.
  const lengthsOnly = flags.has('lengths');
  const quick = flags.has('quick');
  const subgroup = flags.has('subgroup');
  // --probe: B=1 L=8192 D=3072 only, with SUBGROUP_ROWS.
  const probe = flags.has('probe');
  // --chunked: the main sizes with CHUNKED_ROWS.
  const chunkedRows = flags.has('chunked');
  // --main: the main sizes with MAIN_ROWS (for A/B runs of the whole setup, e.g. under WEBGPU_DAWN_FLAGS).
  const mainRows = flags.has('main');
  // --bound: B=1 L=8192 D=3072 only, with BOUND_ROWS.
  const bound = flags.has('bound');
  // --submits: B=1 L=8192 D=3072 only, the default scan (and a copy of delta) recorded 1, 2, 4 or 8 times
  // per submit: wall time per call, host time per submit by phase, and GPU time of one call in its own pass.
  const submits = flags.has('submits');
  // --chunks 56,64,75: the main sizes that run in several chunks, at these chunk lengths, beside the
  // default (first and last, to show the drift within the run). With decayClamp rows (removed since) in
  // docs/measurements/h200/run-2026-12-02e/chunks.json.
  const chunkList = values.get('chunks')?.split(',').map(Number);
  const chunkRows: SweepRow[] | null = chunkList ? [{}, ...chunkList.map((chunkLen) => ({ chunkLen })), {}] : null;
  const sizes = (small ? SMALL_SIZES : FULL_SIZES)
    .filter((s) => !quick || s.main)
    .map((s) => (quick ? { ...s, chunkSweep: undefined, tuningSweep: mufuSweep(defaultChunkLen(s.batch, s.seqLen, s.dInner) < s.seqLen) } : s))
    .filter((s) => !probe || (s.batch === 1 && s.seqLen === 8192 && s.dInner === 3072))
    .filter((s) => !(bound || submits) || (small ? s === SMALL_SIZES[0] : s.batch === 1 && s.seqLen === 8192 && s.dInner === 3072))
    .map((s) => (submits ? { ...s, chunkSweep: undefined, tuningSweep: undefined } : s))
    .map((s) => (bound ? { ...s, chunkSweep: undefined, tuningSweep: BOUND_ROWS } : s))
    .map((s) => (probe || subgroup ? { ...s, chunkSweep: undefined, tuningSweep: probe || s.main ? SUBGROUP_ROWS : SUBGROUP_ROWS.slice(0, 2) } : s))
    .filter((s) => !(chunkedRows || mainRows) || s.main)
    .map((s) => (mainRows ? { ...s, chunkSweep: undefined, tuningSweep: defaultChunkLen(s.batch, s.seqLen, s.dInner) < s.seqLen ? MAIN_ROWS : MAIN_ROWS.slice(2) } : s))
    .map((s) => (chunkedRows ? { ...s, chunkSweep: undefined, tuningSweep: defaultChunkLen(s.batch, s.seqLen, s.dInner) < s.seqLen ? CHUNKED_ROWS : CHUNKED_SINGLE_ROWS } : s))
    .filter((s) => !chunkRows || (s.main && defaultChunkLen(s.batch, s.seqLen, s.dInner) < s.seqLen))
    .map((s) => (chunkRows ? { ...s, chunkSweep: undefined, tuningSweep: chunkRows } : s))
    .filter((s) => !lengthsOnly || (s.batch === 1 && s.dInner === 2048))
    .map((s) => (lengthsOnly ? { ...s, chunkSweep: undefined, tuningSweep: undefined } : s));
  const subnormals = bound ? await subnormalProbe(engine) : null;
  if (subnormals) {
    console.error('subnormals (x, exp2(x), x/4; a 0 where the exact value is nonzero is a flush):');
    for (const r of subnormals) console.error(`  ${r.x.toExponential(4)}  ${r.exp2.toExponential(4)}  ${r.half.toExponential(4)}`);
  }
  const copy = await copyBandwidth(engine, small ? 1 << 22 : 1 << 27);
  console.error(`copy_vec4 best (${copy.config}) ${(copy.bytes / 2 ** 20).toFixed(0)} MiB moved: ${copy.gbPerS.toFixed(1)} GB/s`);

  const rows: Record<string, string | number>[] = [];
  const copyLines: string[] = [];
  const points = [];
  for (const s of sizes) {
    const { batch, seqLen, dInner, dState } = s;
    const label = `B=${batch} L=${seqLen} D=${dInner} N=${dState}`;
    console.error(`scan ${label} ...`);
    const shape = [batch, seqLen, dInner];
    const u = randomTensor(engine, shape, 1, 'normal', 'u');
    const delta = randomTensor(engine, shape, 2, 'delta', 'delta');
    // In-place rows scan this working copy of delta (refilled from `delta` before each call).
    const deltaWork = engine.tensor(shape, 'activations', 'delta.work');
    const z = randomTensor(engine, shape, 3, 'normal', 'z');
    const bc = randomTensor(engine, [batch, seqLen, 2 * dState], 4, 'normal', 'bc');
    const A = new Float32Array(dInner * dState);
    for (let d = 0; d < dInner; d++) for (let n = 0; n < dState; n++) A[d * dState + n] = -(n + 1);
    const bias = uniformArray(dInner, 6, -4, -2);
    const channels = engine.upload(packScanChannels(A, dInner, dState, normalArray(dInner, 5), bias), [dInner, dState + 2], 'weights', 'channels');
    const ySeq = engine.tensor(shape, 'activations', 'y.sequential');
    const yFast = engine.tensor(shape, 'activations', 'y.fast');
    const run = (variant: ScanVariant, out: Tensor, chunkLen?: number, tuning?: ScanTuning) => () =>
      selectiveScan(engine, { u, delta, channels, bc, z, deltaSoftplus: true, variant, chunkLen, tuning, out });
    const scanInPlace = (variant: ScanVariant, out: Tensor, chunkLen?: number, tuning?: ScanTuning) =>
      selectiveScan(engine, { u, delta: deltaWork, deltaInPlace: true, channels, bc, z, deltaSoftplus: true, variant, chunkLen, tuning, out });
    const refill = () => copyVec4(engine, delta, deltaWork, copy.best);
    // The copy that refills delta before each in-place call, alone (subtracted from the in-place rows).
    let copyDelta: { wall: Timing; gpu: { ms: number; source: string } } | null = null;
    const copyDeltaTime = async () => {
      if (!copyDelta) {
        const wall = await timeIterations(engine, refill, { repeats: 3, targetMs: 120 });
        copyDelta = { wall, gpu: await gpuTime(engine, refill, Math.max(1, Math.min(50, Math.round(20 / Math.max(wall.msMedian, 0.05))))) };
        console.error(`  copy delta (subtracted from in-place rows): ${wall.msMedian.toFixed(3)} ms (gpu ${copyDelta.gpu.ms.toFixed(3)} ms)`);
        copyLines.push(`${label}: copy delta (subtracted from the in-place rows): ${wall.msMedian.toFixed(3)} ms, gpu ${copyDelta.gpu.ms.toFixed(3)} ms`);
      }
      return copyDelta;
    };
    let dtChecked = false;

    if (submits) {
      for (const [what, once] of [['scan', run('auto', yFast)], ['copy of delta', refill]] as const) {
        for (const perSubmit of what === 'scan' ? [1, 2, 4, 8] : [1, 4]) {
          const host0 = { ...engine.submitHostMs };
          const t = await timeIterations(engine, () => { for (let k = 0; k < perSubmit; k++) once(); }, { repeats: 3, targetMs: 150 });
          const submitted = t.repeats * t.itersPerRepeat;
          const host = Object.entries(engine.submitHostMs).map(([k, v]) => `${k} ${((v - host0[k as keyof typeof host0]) / submitted * 1000).toFixed(1)}`).join(', ');
          const line = `${label}: ${what}, ${perSubmit} per submit: ${(t.msMedian / perSubmit).toFixed(4)} ms per call on wall time; host µs per submit (about; includes warm-up): ${host}`;
          console.error(`  ${line}`);
          copyLines.push(line);
        }
        const single = await engine.timeBatch(() => once());
        const batched = await gpuTime(engine, once, 20);
        const line = `${label}: ${what}: GPU time of one call in its own pass ${single.ms.toFixed(4)} ms, of 20 calls in one pass ${batched.ms.toFixed(4)} ms per call (${single.source})`;
        console.error(`  ${line}`);
        copyLines.push(line);
      }
      continue;
    }

    const bytes = scanBytes(s);
    const gb = (t: Timing) => bytes / t.msMedian / 1e6;
    const seq = await timeIterations(engine, run('sequential', ySeq), { repeats: 3, warmup: 1, targetMs: 300 });
    const seqOut = await engine.read(ySeq);
    const configs: { chunkLen?: number; tuning?: ScanTuning; inPlace?: boolean; variant?: ScanVariant }[] = [
      {},
      ...(s.chunkSweep ?? []).map((chunkLen) => ({ chunkLen })),
      ...(s.tuningSweep ?? []).map(({ chunkLen, inPlace, variant, ...tuning }) => ({ chunkLen, tuning: Object.keys(tuning).length ? tuning : undefined, inPlace, variant })),
    ];
    for (const { chunkLen, tuning, inPlace: inPlaceRow, variant: rowVariant } of configs) {
      const inPlace = Boolean(inPlaceRow);
      const effChunk = Math.min(seqLen, chunkLen ?? defaultChunkLen(batch, seqLen, dInner));
      const sweep = Boolean(chunkLen || tuning || rowVariant);
      const variant: ScanVariant = rowVariant ?? (chunkLen ? 'chunked' : 'auto');
      const used = chooseScanVariant(variant, seqLen, effChunk);
      // In place: refill then scan, except the output pass alone (it reads dt and leaves delta as it is).
      const outputOnly = tuning?.onlyPass === 'output';
      if (inPlace && outputOnly) {
        refill();
        scanInPlace(variant, yFast, chunkLen);
        await engine.sync();
      }
      const record = !inPlace
        ? run(variant, yFast, chunkLen, tuning)
        : outputOnly
          ? () => scanInPlace(variant, yFast, chunkLen, tuning)
          : () => {
              refill();
              scanInPlace(variant, yFast, chunkLen, tuning);
            };
      const measured = await timeIterations(engine, record, sweep ? { repeats: 3, targetMs: 120 } : {});
      const measuredGpu = await gpuTime(engine, record, Math.max(1, Math.min(50, Math.round(20 / Math.max(measured.msMedian, 0.05)))));
      const copyCost = inPlace && !outputOnly ? await copyDeltaTime() : null;
      const fast: Timing = copyCost ? { ...measured, msMedian: measured.msMedian - copyCost.wall.msMedian, msMin: measured.msMin - copyCost.wall.msMedian, msMax: measured.msMax - copyCost.wall.msMedian } : measured;
      const gpu = copyCost ? { ...measuredGpu, ms: measuredGpu.ms - copyCost.gpu.ms } : measuredGpu;
      if (inPlace) {
        // Correctness from a fresh copy of delta.
        refill();
        scanInPlace(variant, yFast, chunkLen, tuning);
      }
      const err = relativeError(await engine.read(yFast), seqOut);
      // How many workgroups ran at once (one extra call with the counters): the subgroup scan's, and the
      // chunked scan's chunk-local and output passes' (null for a pass that did not run).
      let resident: number | null = null;
      let residentLocal: number | null = null;
      let residentOutput: number | null = null;
      if ((used === 'subgroup' || used === 'chunked') && !inPlace) {
        const counts = await residentWorkgroups(engine, (residency) => selectiveScan(engine, { u, delta, channels, bc, z, deltaSoftplus: true, variant, chunkLen, tuning, out: yFast, residency }), 2);
        if (used === 'subgroup') resident = counts[0];
        else {
          residentLocal = counts[0] || null;
          residentOutput = counts[1] || null;
        }
      }
      let dtErr: number | null = null;
      if (inPlace && !dtChecked && !tuning?.onlyPass && !tuning?.diagnostic) {
        dtChecked = true;
        const raw = await engine.read(delta);
        const got = await engine.read(deltaWork);
        const dt = new Float64Array(raw.length);
        for (let i = 0; i < raw.length; i++) {
          const v = raw[i] + bias[i % dInner];
          dt[i] = v <= 20 ? Math.log1p(Math.exp(v)) : v;
        }
        dtErr = relativeError(got, dt);
        console.error(`  in-place delta afterwards against dt on the host: relative error ${dtErr.toExponential(1)}`);
        if (!(dtErr < 1e-5)) console.error(`WARNING: ${label}: in-place delta does not hold dt (relative error ${dtErr})`);
      }
      const passes = used === 'chunked' && effChunk < seqLen ? 3 : 1;
      const diagnostic = tuning?.diagnostic ?? null;
      const onlyPass = tuning?.onlyPass ?? null;
      const wrong = diagnostic !== null || onlyPass !== null;
      // Rows without their own share say the default one (the sequential kernel's is 0).
      // Decays without exp ('no-exp', 'no-sfu') have no share.
      const diagnostics = diagnostic === null ? [] : Array.isArray(diagnostic) ? diagnostic : [diagnostic];
      const expFree = diagnostics.includes('no-exp') || diagnostics.includes('no-sfu');
      const polyFraction = expFree ? null : (tuning?.polyFraction ?? (used === 'chunked' ? DEFAULT_POLY_FRACTION : 0));
      const tuned = [tuning ? tuningName(tuning, dState) : '', inPlace ? 'in-place' : ''].filter(Boolean).join(',');
      const defaultPoly = polyFraction !== null && tuning?.polyFraction === undefined ? polyName(polyFraction, dState) : '';
      const name = `${used}${used === 'chunked' ? `/${effChunk === seqLen ? 'L' : effChunk}` : ''} ${[tuned, defaultPoly].filter(Boolean).join(',')}${sweep ? ' (sweep)' : ''}`;
      rows.push({
        size: label,
        variant: name,
        'fast ms': fast.msMedian,
        'gpu ms': gpu.ms,
        'seq ms': seq.msMedian,
        'fast GB/s': gb(fast),
        'seq GB/s': gb(seq),
        'fast/copy %': (100 * gb(fast)) / copy.gbPerS,
        'gpu/copy %': (100 * (bytes / gpu.ms / 1e6)) / copy.gbPerS,
        'gpu/copy gpu %': (100 * (bytes / gpu.ms / 1e6)) / copy.gbPerSGpu,
        'seq/copy %': (100 * gb(seq)) / copy.gbPerS,
        speedup: seq.msMedian / fast.msMedian,
        'rel err': wrong ? 'n/a (wrong by design)' : err.toExponential(1),
        'resident wg': resident ?? (residentLocal === null && residentOutput === null ? '' : `${residentLocal ?? '-'} / ${residentOutput ?? '-'}`),
      });
      points.push({
        batch,
        seqLen,
        dInner,
        dState,
        variant: used,
        chunkLen: used === 'chunked' ? effChunk : null,
        passes,
        tuning: tuning ?? null,
        gate: tuning?.gate ?? DEFAULT_GATE,
        softplus: tuning?.softplus ?? DEFAULT_SOFTPLUS,
        deltaInPlace: inPlace,
        copyDeltaSubtracted: copyCost ? { wallMs: copyCost.wall.msMedian, gpuMs: copyCost.gpu.ms } : null,
        fastIncludingCopy: copyCost ? measured : null,
        gpuIncludingCopyMs: copyCost ? measuredGpu.ms : null,
        relErrDeltaVsHostDt: dtErr,
        polyFraction,
        polyElems: polyFraction === null ? null : scanPolyElems(polyFraction, stateVec4Count(dState)),
        diagnostic,
        onlyPass,
        sweep,
        bytes,
        fast,
        gpu,
        sequential: seq,
        gbPerSFast: gb(fast),
        gbPerSGpu: bytes / gpu.ms / 1e6,
        gbPerSSequential: gb(seq),
        fractionOfCopyFast: gb(fast) / copy.gbPerS,
        fractionOfCopyGpu: bytes / gpu.ms / 1e6 / copy.gbPerS,
        fractionOfCopyGpuBothGpu: bytes / gpu.ms / 1e6 / copy.gbPerSGpu,
        fractionOfCopySequential: gb(seq) / copy.gbPerS,
        speedup: seq.msMedian / fast.msMedian,
        relErrFastVsSequential: wrong ? null : err,
        residentWorkgroups: resident,
        residentLocal,
        residentOutput,
      });
      console.error(`  ${name}: ${fast.msMedian.toFixed(3)} ms (gpu ${gpu.ms.toFixed(3)} ms, seq ${seq.msMedian.toFixed(3)} ms), ${((100 * gb(fast)) / copy.gbPerS).toFixed(1)}% of copy, err ${wrong ? 'n/a' : err.toExponential(1)}${resident === null ? '' : `, ${resident} workgroups resident at most`}${residentLocal === null && residentOutput === null ? '' : `, resident workgroups at most: local ${residentLocal ?? '-'}, output ${residentOutput ?? '-'}`}`);
      if (!wrong && !(err < 1e-4)) console.error(`WARNING: ${label} ${name}: fast output differs from the sequential one (relative error ${err})`);
    }
    [u, delta, deltaWork, z, bc, channels, ySeq, yFast].forEach((t) => t.release());
  }
  console.log(`selective scan (fp32, z gate, D skip, softplus; default decays ${polyName(DEFAULT_POLY_FRACTION, 16)} polynomial at N=16, sequential all exp2; default gate=${DEFAULT_GATE}, sp=${DEFAULT_SOFTPLUS}) on ${engine.report.vendor} ${engine.report.architecture} ${engine.report.description}${engine.report.isFallbackAdapter ? ' [fallback adapter]' : ''}`);
  for (const c of copy.configs) console.log(`copy_vec4 ${c.config}: ${c.gbPerS.toFixed(1)} GB/s`);
  console.log(`copy_vec4 best (${copy.config}): ${copy.gbPerS.toFixed(1)} GB/s (read + write, ${(copy.bytes / 2 ** 20).toFixed(0)} MiB moved); on GPU time (${copy.gpu.source}) ${copy.gbPerSGpu.toFixed(1)} GB/s`);
  printTable(rows);
  for (const line of copyLines) console.log(line);
  writeJson(values.get('out'), { bench: 'selective_scan', adapter: engine.report, copy, subnormals, points });
  engine.destroy();
}

main().catch((e) => {
  console.error(`bench:scan: ${(e as Error).message}`);
  process.exit(1);
});
