// Shared benchmark plumbing: argument parsing, timing (warm-up, many iterations, median of repeats),
// tables on stdout and JSON files. Benchmarks print figures; no test asserts a time.

import { readFileSync, writeFileSync } from 'node:fs';
import type { Engine } from '../engine/engine';
import type { Tensor } from '../engine/tensor';
import { dawnFlags } from '../engine/node-gpu';

export interface Timing {
  /** Median milliseconds per iteration over the repeats. */
  msMedian: number;
  msMin: number;
  msMax: number;
  repeats: number;
  itersPerRepeat: number;
  source: 'wall' | 'timestamp-query';
}

/**
 * Times `record` (which records one iteration's dispatches): `iters` iterations are submitted back to back
 * and the wall time to onSubmittedWorkDone is divided by `iters`; repeated `repeats` times after a warm-up.
 */
export async function timeIterations(engine: Engine, record: () => void, opts: { iters?: number; repeats?: number; warmup?: number; targetMs?: number } = {}): Promise<Timing> {
  const warmup = opts.warmup ?? 2;
  for (let i = 0; i < warmup; i++) {
    record();
    engine.submit();
  }
  await engine.sync();
  // Pick the iteration count so one repeat lasts about targetMs (default 200 ms).
  let iters = opts.iters ?? 0;
  if (!iters) {
    const t0 = performance.now();
    record();
    engine.submit();
    await engine.sync();
    const once = Math.max(performance.now() - t0, 0.01);
    iters = Math.max(1, Math.min(1000, Math.round((opts.targetMs ?? 200) / once)));
  }
  const repeats = opts.repeats ?? 5;
  const samples: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    for (let i = 0; i < iters; i++) {
      record();
      engine.submit();
    }
    await engine.sync();
    samples.push((performance.now() - t0) / iters);
  }
  samples.sort((a, b) => a - b);
  return { msMedian: samples[Math.floor(samples.length / 2)], msMin: samples[0], msMax: samples[samples.length - 1], repeats, itersPerRepeat: iters, source: 'wall' };
}

/**
 * Resident workgroups of a kernel that takes a benchmark-only residency counter: runs `run` once with
 * a zeroed counter of `pairs` (now, most-at-once) pairs and returns the most-at-once count of each pair.
 */
export async function residentWorkgroups(engine: Engine, run: (counter: Tensor) => void, pairs = 1): Promise<number[]> {
  const counter = engine.upload(new Float32Array(2 * pairs), [2 * pairs], 'scratch', 'residency');
  run(counter);
  const counts = new Uint32Array((await engine.read(counter)).buffer);
  counter.release();
  return Array.from({ length: pairs }, (_, i) => counts[2 * i + 1]);
}

export function parseArgs(argv: string[]): { flags: Set<string>; values: Map<string, string> } {
  const flags = new Set<string>();
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) continue;
    const [k, v] = a.slice(2).split('=', 2);
    if (v !== undefined) values.set(k, v);
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) values.set(k, argv[++i]);
    else flags.add(k);
  }
  return { flags, values };
}

export function printTable(rows: Record<string, string | number>[]): void {
  if (!rows.length) return;
  const cols = Object.keys(rows[0]);
  const cell = (v: string | number) => (typeof v === 'number' ? formatNumber(v) : v);
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padStart(widths[i])).join('  ');
  console.log(line(cols));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(cols.map((c) => cell(r[c]))));
}

export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e7) return String(v);
  const a = Math.abs(v);
  if (a >= 1000) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 0.1) return v.toFixed(3);
  return v.toPrecision(3);
}

export function writeJson(path: string | undefined, data: object): void {
  if (!path) return;
  // The Dawn flags the run used (WEBGPU_DAWN_FLAGS), so that a file says how it was measured.
  writeFileSync(path, JSON.stringify({ ...data, dawnFlags: dawnFlags() }, null, 2));
  console.error(`wrote ${path}`);
}

/** One row of measureWorkgroupMemoryResidency: workgroups of `workgroupSize` holding `bytes` each, and how many ran at once. */
export interface WorkgroupMemoryRow {
  bytes: number;
  workgroupSize: number;
  resident: number;
}

/**
 * How many workgroups holding a given amount of workgroup memory run at once on this device (the
 * residency probe, src/kernels/rate-probes.ts), for workgroups of 128 and 256 invocations and 16 bytes to
 * the device's limit: the workgroup memory an SM gives is about the largest bytes·resident / SMs before
 * the count falls. `small` for a CPU device.
 */
export async function measureWorkgroupMemoryResidency(engine: Engine, small = false): Promise<WorkgroupMemoryRow[]> {
  const { workgroupMemoryProbe } = await import('../kernels/rate-probes');
  const limit = engine.report.limits.maxComputeWorkgroupStorageSize;
  const sizes = [16, 4096, 8192, 10240, 12288, 16384, 20480, 24576, 32768, 40960, 49152].filter((b) => b <= limit);
  const rows: WorkgroupMemoryRow[] = [];
  for (const workgroupSize of [128, 256]) {
    const groups = small ? 8 : 4096;
    const out = engine.tensor([groups * workgroupSize], 'scratch', 'smem-probe.out');
    for (const bytes of sizes) {
      const [resident] = await residentWorkgroups(engine, (residency) => workgroupMemoryProbe(engine, out, { bytes, workgroupSize, iterations: small ? 10 : 20000, a: 0.999, b: 1e-3, residency }));
      rows.push({ bytes, workgroupSize, resident });
    }
    out.release();
  }
  return rows;
}

/** The device's own ceilings measured in this run: the FP32 fma rate and the exp2 rate WGSL code reaches. */
export interface RateCeilings {
  /** TFLOP/s of the fma probe (2 FLOPs per fma). */
  fmaTflops: number;
  /** G exp2/s of the exp2 probe. */
  exp2Gops: number;
}

/** Runs the rate probes (src/kernels/rate-probes.ts); `small` for a CPU device. */
export async function measureRateCeilings(engine: Engine, small = false): Promise<RateCeilings> {
  const { rateProbe } = await import('../kernels/rate-probes');
  const out = engine.tensor([small ? 4096 : 1 << 20], 'scratch', 'rate-probe.out');
  const rate = async (kind: 'fma' | 'exp2', iterations: number, a: number, b: number) => {
    let ops = 0;
    const t = await timeIterations(engine, () => (ops = rateProbe(engine, kind, out, iterations, a, b).ops), { repeats: 3, warmup: 1, targetMs: small ? 50 : 200 });
    return ops / t.msMedian / 1e9;
  };
  const fmaTflops = await rate('fma', small ? 16 : 2048, 0.999, 0.001);
  const exp2Gops = (await rate('exp2', small ? 4 : 512, -0.5, 1)) * 1e3;
  out.release();
  return { fmaTflops, exp2Gops };
}

/**
 * PyTorch baselines written by scripts/gpu/torch_reference.py earlier in the same command (--torch FILE),
 * by result name (e.g. 'matmul fp32 4096^3 (tf32 off)'); empty when no file is given.
 */
export function loadTorchBaselines(path: string | undefined): Map<string, { ms: number; TFLOPs?: number; TBps?: number }> {
  const byName = new Map<string, { ms: number; TFLOPs?: number; TBps?: number }>();
  if (!path) return byName;
  const data = JSON.parse(readFileSync(path, 'utf8')) as { results?: { name: string; ms: number; TFLOPs?: number; TBps?: number }[] };
  for (const r of data.results ?? []) byName.set(r.name, r);
  return byName;
}

/** Copy bandwidth in GB/s (bytes read + written) of the best COPY_CONFIGS copy of `floats` floats, this run. */
export async function measureCopyGBs(engine: Engine, floats: number): Promise<number> {
  const { COPY_CONFIGS, copyVec4 } = await import('../kernels/copy');
  const src = engine.tensor([floats], 'scratch', 'copy.src');
  const dst = engine.tensor([floats], 'scratch', 'copy.dst');
  let best = 0;
  for (const config of COPY_CONFIGS) {
    const t = await timeIterations(engine, () => copyVec4(engine, src, dst, config), { repeats: 3, warmup: 1 });
    best = Math.max(best, (2 * floats * 4) / t.msMedian / 1e6);
  }
  src.release();
  dst.release();
  return best;
}
