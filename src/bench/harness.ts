// Shared benchmark plumbing: argument parsing, timing (warm-up, many iterations, median of repeats),
// tables on stdout and JSON files. Benchmarks print figures; no test asserts a time.

import { writeFileSync } from 'node:fs';
import type { Engine } from '../engine/engine';

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

export function writeJson(path: string | undefined, data: unknown): void {
  if (!path) return;
  writeFileSync(path, JSON.stringify(data, null, 2));
  console.error(`wrote ${path}`);
}
