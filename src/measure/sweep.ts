// The sweep runner, shared by the page and the `bench` CLI: for each model of a comparison and each
// sequence length, measure prefill (one forward pass over B×L tokens) and decode (single-token steps at
// context L, each waited for; on the GPU through a captured greedy step replayed per token, the engine's
// fastest decode path, when the model can replay), with warm-up and repeats (prefill takes more while its
// repeats disagree: repeats.ts), and record the allocator's peak bytes by category beside the cost model's
// figures. Points that cannot fit are skipped with their reason; an out-of-memory error or a lost
// device keeps the finished points and moves on with a fresh device. No UI imports.
//
// Dimensions: B batch, L sequence length (prefill) or context length (decode), V vocabulary.

import type { AdapterReport, Engine } from '../engine/engine';
import { GpuDeviceLostError, GpuKernelError, GpuLimitError, formatBytes } from '../engine/errors';
import type { Comparison, ModelConfig, SweepMode } from '../model/config';
import { sweepLengths } from '../model/config';
import { costModel, decodeStateBytes, paramCount } from '../model/cost-model';
import { GpuModel, type CapturedGreedyStep } from '../model/model';
import type { Tensor } from '../engine/tensor';
import { modelForwardRef } from '../model/model-ref';
import { initModelWeights } from '../model/weights';
import { rng } from '../testing/random';
import { largestBufferBytes } from './fit';
import { releaseScratch } from '../kernels/scratch-pool';
import { median, timeRepeats } from './repeats';
import { modelLabel } from '../model/storage-format';

export interface BytesByKind {
  weights: number;
  activations: number;
  cache: number;
  scratch: number;
  peakTotal: number;
}

export interface SweepPoint {
  /** The model's name (legend label) and its index in the comparison. */
  model: string;
  modelIndex: number;
  mode: SweepMode;
  seqLen: number;
  batch: number;
  status: 'ok' | 'skipped' | 'failed';
  /** Why a point was skipped or failed. */
  reason?: string;
  /** Prefill: ms per forward pass; decode: ms per token step. Median over the timed samples. */
  msMedian?: number;
  msMin?: number;
  msMax?: number;
  /**
   * Timed samples the median is over. Prefill: the repeats, and more when they disagreed (see
   * repeats.ts); decode: the timed steps.
   */
  samples?: number;
  /** Prefill: B·L / time; decode: B / time per step. */
  tokensPerSecond?: number;
  /** GPU dispatches per forward pass (prefill) or per token step (decode). */
  dispatches?: number;
  /**
   * Decode on the GPU: 'replay' (one captured greedy step replayed per token: the step's dispatches with
   * the argmax that feeds the next token, no block code per token) or 'step' (model.step per token).
   */
  decodePath?: 'replay' | 'step';
  measuredBytes?: BytesByKind;
  analyticBytes: BytesByKind;
  /** 'gpu' (WebGPU) or 'cpu' (the float64 path, for when there is no WebGPU). */
  device: 'gpu' | 'cpu';
}

export interface SweepResults {
  adapter: AdapterReport | { vendor: 'cpu'; description: string };
  config: Comparison;
  startedAt: string;
  points: SweepPoint[];
}

export interface SweepProgress {
  done: number;
  total: number;
  model: string;
  mode: SweepMode;
  seqLen: number;
  /** Estimated milliseconds left, from the time taken so far (null before the first point). */
  etaMs: number | null;
}

export interface SweepOptions {
  /** A working engine; called again after a device loss to get a fresh one. Absent: the CPU path. */
  getEngine?: () => Promise<Engine>;
  onPoint?: (p: SweepPoint) => void;
  onProgress?: (p: SweepProgress) => void;
  signal?: AbortSignal;
  /** Points whose estimated bytes exceed this are skipped (WebGPU does not report free memory). */
  memoryBudgetBytes?: number;
  /** The CPU path runs prefill only, up to this many tokens per sequence. */
  cpuMaxSeqLen?: number;
  seed?: number;
  /** Explicit sequence lengths instead of the sweep's doubling from seqStart to seqMax. */
  lengths?: number[];
}

export class SweepCancelled extends Error {
  override name = 'SweepCancelled';
}

/** The float64 CPU path is for small models only. */
export const CPU_MAX_PARAMS = 20_000_000;

const yieldToEventLoop = () => new Promise<void>((r) => setTimeout(r, 0));

function analyticBytes(config: ModelConfig, mode: SweepMode, seqLen: number, batch: number, capacity: number): BytesByKind {
  const c = costModel(config, { seqLen, batch, mode });
  const cache = mode === 'decode' ? decodeStateBytes(config, batch, capacity) : 0;
  return { weights: c.bytes.weights, activations: c.bytes.activations, cache, scratch: c.bytes.scratch, peakTotal: c.bytes.weights + c.bytes.activations + cache + c.bytes.scratch };
}

/** Why a point cannot run here, or null when it fits. */
export function whyNotFit(config: ModelConfig, mode: SweepMode, seqLen: number, capacity: number, limits: { maxBufferSize: number; maxStorageBufferBindingSize: number }, budgetBytes: number): string | null {
  const largest = largestBufferBytes(config, mode, seqLen, config.batch, capacity);
  const bindLimit = Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize);
  if (largest.bytes > bindLimit) {
    return `${largest.what} needs one buffer of ${formatBytes(largest.bytes)}, over this GPU's limit of ${formatBytes(bindLimit)} per buffer`;
  }
  const total = analyticBytes(config, mode, seqLen, config.batch, capacity).peakTotal;
  if (total > budgetBytes) return `needs about ${formatBytes(total)}, over the memory budget of ${formatBytes(budgetBytes)}`;
  return null;
}

export async function runSweep(comparison: Comparison, opts: SweepOptions = {}): Promise<SweepResults> {
  const { sweep } = comparison;
  const lengths = opts.lengths ?? sweepLengths(sweep);
  const onCpu = !opts.getEngine;
  let engine = opts.getEngine ? await opts.getEngine() : null;
  const results: SweepResults = {
    adapter: engine ? engine.report : { vendor: 'cpu', description: 'float64 CPU path (no WebGPU): slow, for small sizes only' },
    config: comparison,
    startedAt: new Date().toISOString(),
    points: [],
  };
  const total = comparison.models.length * lengths.length * sweep.modes.length;
  let done = 0;
  const t0 = performance.now();
  const checkCancel = () => {
    if (opts.signal?.aborted) {
      engine?.discardPending();
      throw new SweepCancelled('The sweep was cancelled; the points measured so far are kept.');
    }
  };
  const emit = (p: SweepPoint) => {
    results.points.push(p);
    opts.onPoint?.(p);
  };

  for (let mi = 0; mi < comparison.models.length; mi++) {
    const config = comparison.models[mi];
    const B = config.batch;
    let model: GpuModel | null = null;
    // Host weights only for the CPU path; the GPU path makes and uploads them one layer at a time.
    const weights = onCpu && paramCount(config) <= CPU_MAX_PARAMS ? initModelWeights(config, opts.seed ?? 0) : null;
    const r = rng(1234 + mi);
    const randomIds = (n: number) => Array.from({ length: n }, () => Math.floor(r() * config.vocabSize));
    try {
      for (const mode of sweep.modes) {
        for (const L of lengths) {
          checkCancel();
          const elapsed = performance.now() - t0;
          opts.onProgress?.({ done, total, model: modelLabel(config), mode, seqLen: L, etaMs: done > 0 ? (elapsed / done) * (total - done) : null });
          await yieldToEventLoop();
          // Decode: the context, the warm-up and timed steps, and the captured step that precedes them.
          const capacity = L + sweep.warmup + sweep.decodeSteps + 1;
          const base = { model: modelLabel(config), modelIndex: mi, mode, seqLen: L, batch: B, analyticBytes: analyticBytes(config, mode, L, B, capacity), device: onCpu ? ('cpu' as const) : ('gpu' as const) };
          done++;
          if (onCpu) {
            const maxL = opts.cpuMaxSeqLen ?? 256;
            if (mode === 'decode') {
              emit({ ...base, status: 'skipped', reason: 'the CPU path measures prefill only' });
              continue;
            }
            if (!weights) {
              emit({ ...base, status: 'skipped', reason: `the CPU path runs models of up to ${CPU_MAX_PARAMS / 1e6}M parameters; this one has ${(paramCount(config) / 1e6).toFixed(1)}M` });
              continue;
            }
            if (L > maxL) {
              emit({ ...base, status: 'skipped', reason: `the CPU path stops at ${maxL} tokens (it is slow)` });
              continue;
            }
            const t = await timeRepeats(async () => {
              checkCancel();
              const ids = randomIds(B * L);
              const s = performance.now();
              modelForwardRef(config, weights, ids, B, L);
              const ms = performance.now() - s;
              await yieldToEventLoop();
              return ms;
            }, sweep.repeats);
            emit({ ...base, status: 'ok', msMedian: t.msMedian, msMin: t.msMin, msMax: t.msMax, samples: t.samples.length, tokensPerSecond: (B * L) / (t.msMedian / 1000) });
            continue;
          }
          const why = whyNotFit(config, mode, L, capacity, engine!.report.limits, opts.memoryBudgetBytes ?? Infinity);
          if (why) {
            emit({ ...base, status: 'skipped', reason: why });
            continue;
          }
          try {
            if (!model) {
              model = await GpuModel.createSeeded(engine!, config, opts.seed ?? 0, yieldToEventLoop);
              await warmUp(engine!, model, L, randomIds, checkCancel);
            }
            const point = mode === 'prefill' ? await measurePrefill(engine!, model, L, sweep, randomIds, checkCancel) : await measureDecode(engine!, model, L, capacity, sweep, randomIds, checkCancel);
            emit({ ...base, status: 'ok', ...point });
          } catch (e) {
            if (e instanceof SweepCancelled) throw e;
            const lost = e instanceof GpuDeviceLostError || engine!.isLost;
            const oom = e instanceof GpuKernelError && e.kind === 'out-of-memory';
            if (!(lost || oom || e instanceof GpuLimitError || e instanceof GpuKernelError)) throw e;
            emit({ ...base, status: 'failed', reason: (e as Error).message });
            try {
              model?.release();
            } catch {
              /* the device may be gone */
            }
            model = null;
            if (!lost) freeHeldBuffers(engine!);
            if (lost || oom) {
              // A fresh device for what follows; larger lengths of this mode would fail the same way.
              engine = await opts.getEngine!();
              break;
            }
          }
        }
      }
    } finally {
      if (model && engine && !engine.isLost) {
        model.release();
        await engine.sync().catch(() => undefined);
        freeHeldBuffers(engine);
      }
    }
  }
  opts.onProgress?.({ done: total, total, model: '', mode: sweep.modes[0], seqLen: 0, etaMs: 0 });
  return results;
}

type Measured = Pick<SweepPoint, 'msMedian' | 'msMin' | 'msMax' | 'samples' | 'tokensPerSecond' | 'measuredBytes' | 'dispatches' | 'decodePath'>;

function measuredBytes(engine: Engine): BytesByKind {
  const m = engine.memory();
  return { weights: m.peak.weights, activations: m.peak.activations, cache: m.peak.cache, scratch: m.peak.scratch, peakTotal: m.peak.total };
}

/**
 * Frees pooled intermediates and the buffers kept for reuse from earlier points, so that each point's
 * peak is its own and the GPU holds no earlier point's sizes (a point's warm-up runs refill the reuse
 * pool with its own).
 */
async function startPoint(engine: Engine): Promise<void> {
  await engine.sync();
  freeHeldBuffers(engine);
  engine.alloc.resetPeak();
}

/** Frees what the engine holds beyond live tensors: pooled scratch and the buffers kept for reuse (call after sync). */
function freeHeldBuffers(engine: Engine): void {
  releaseScratch(engine);
  engine.alloc.trimPool();
}

/** Wall time a freshly built model runs before its first point (pipelines compiled, GPU clocks up). */
const WARM_UP_MS = 1000;

/**
 * Runs prefill of L tokens, two forwards per submit so that the GPU has no idle gap between them, until
 * WARM_UP_MS have passed (at least two, at most 40 forwards), so that the first point of a model is not
 * measured on a cold GPU (the per-point warm-up runs cover the rest). On an H200, 300 ms of forwards each
 * waited for left the first point of a cold process 2.4-3.6x slow (docs/measurements/h200/run-2026-12-02e/
 * warm-up).
 */
async function warmUp(engine: Engine, model: GpuModel, L: number, randomIds: (n: number) => number[], checkCancel: () => void): Promise<void> {
  const B = model.config.batch;
  const t0 = performance.now();
  for (let i = 0; i < 40 && (i === 0 || performance.now() - t0 < WARM_UP_MS); i += 2) {
    checkCancel();
    model.forward(randomIds(B * L), B, L).release();
    model.forward(randomIds(B * L), B, L).release();
    await engine.sync();
    await yieldToEventLoop();
  }
}

async function measurePrefill(engine: Engine, model: GpuModel, L: number, sweep: Comparison['sweep'], randomIds: (n: number) => number[], checkCancel: () => void): Promise<Measured> {
  const B = model.config.batch;
  await startPoint(engine);
  let dispatches = 0;
  const timeOnce = async () => {
    checkCancel();
    const ids = randomIds(B * L);
    const s = performance.now();
    const before = engine.dispatchCount;
    const logits = model.forward(ids, B, L);
    dispatches = engine.dispatchCount - before;
    await engine.sync();
    const ms = performance.now() - s;
    logits.release();
    await yieldToEventLoop();
    return ms;
  };
  for (let i = 0; i < sweep.warmup; i++) await timeOnce();
  const t = await timeRepeats(timeOnce, sweep.repeats);
  return { msMedian: t.msMedian, msMin: t.msMin, msMax: t.msMax, samples: t.samples.length, tokensPerSecond: (B * L) / (t.msMedian / 1000), measuredBytes: measuredBytes(engine), dispatches };
}

async function measureDecode(engine: Engine, model: GpuModel, L: number, capacity: number, sweep: Comparison['sweep'], randomIds: (n: number) => number[], checkCancel: () => void): Promise<Measured> {
  const B = model.config.batch;
  await startPoint(engine);
  const state = model.createState(B, capacity);
  let ids: Tensor | null = null;
  let captured: CapturedGreedyStep | null = null;
  try {
    // Fill the context with L tokens (untimed), then time single-token steps; each step waits for the GPU,
    // as generation must before it can pick the next token.
    model.forward(randomIds(B * L), B, L, { state }).release();
    // The decode point's memory is that of decoding: weights, the state, one token's intermediates.
    await startPoint(engine);
    const replay = model.canReplayDecode().ok;
    let step: () => number;
    if (replay) {
      // One greedy step recorded by the model's code and captured (untimed); each timed token replays it.
      ids = engine.uploadU32(randomIds(B), [B], 'activations', 'sweep.ids');
      captured = model.captureGreedyStep(state, ids);
      await engine.sync();
      const c = captured;
      step = () => {
        model.replayGreedyStep(c);
        engine.submit();
        return c.dispatches;
      };
    } else {
      step = () => {
        const before = engine.dispatchCount;
        model.step(randomIds(B), state).release();
        return engine.dispatchCount - before;
      };
    }
    const samples: number[] = [];
    let dispatches = 0;
    for (let i = 0; i < sweep.warmup + sweep.decodeSteps; i++) {
      if (i % 8 === 0) {
        checkCancel();
        await yieldToEventLoop();
      }
      const s = performance.now();
      dispatches = step();
      await engine.sync();
      const ms = performance.now() - s;
      if (i >= sweep.warmup) samples.push(ms);
    }
    const ms = median(samples);
    const decodePath = replay ? ('replay' as const) : ('step' as const);
    return { msMedian: ms, msMin: Math.min(...samples), msMax: Math.max(...samples), samples: samples.length, tokensPerSecond: B / (ms / 1000), measuredBytes: measuredBytes(engine), dispatches, decodePath };
  } finally {
    captured?.release();
    ids?.release();
    model.releaseState(state);
  }
}
