// The buffer allocator: every GPU buffer the engine creates goes through here and is counted by purpose.
// WebGPU reports no memory use, so this accounting is how the app measures memory: live bytes now and the
// peak since the last reset, per category and in total.

import { GpuLimitError, formatBytes } from './errors';

export const MEMORY_CATEGORIES = ['weights', 'activations', 'cache', 'scratch'] as const;
export type MemoryCategory = (typeof MEMORY_CATEGORIES)[number];

export type BytesByCategory = Record<MemoryCategory, number>;

export interface MemorySnapshot {
  live: BytesByCategory & { total: number };
  /** Peak live bytes per category, each measured independently, and the peak of the total. */
  peak: BytesByCategory & { total: number };
  /** Bytes of released buffers kept for reuse (GPU memory held, not counted as live). */
  pooled: number;
}

/**
 * Released buffers are kept for reuse, keyed by size and usage: decode steps allocate the same small
 * tensors every token, and each forward pass of a model the same intermediates as the last one. Creating
 * them afresh was most of a measured forward: on an H200 through Dawn, Mamba-130M-shaped prefill of 4096
 * tokens took 94-142 ms with buffers over 1 MiB created per forward and 29-30 ms with every released
 * buffer kept (docs/measurements/h200/run-2026-12-02d/pool).
 * A buffer released while dispatches that bind it are recorded and not yet submitted is reused at once by
 * later dispatches of the same batch (the queue runs them in order), but marked busy until that batch is
 * submitted: a busy buffer is never handed to a host upload (queue.writeBuffer lands before the batch) and
 * never destroyed. So a forward pass of one submit holds about its peak live bytes, not the sum of every
 * intermediate it makes (which, before, each took a buffer of its own until the submit: 3.2x the peak at
 * 12 Mamba layers).
 * The pool holds at most the peak live bytes since the last resetPeak (or POOL_MIN_BYTES, whichever is
 * more), so the GPU memory held stays within twice the peak live bytes: a released buffer is kept only if
 * it fits, and creating a buffer the pool cannot supply first destroys idle pooled ones beyond that bound
 * (after a resetPeak lowered it). trimPool empties the pool of idle buffers (the sweep does between
 * points). Weights are not pooled: releasing them means their model is gone.
 */
export const POOL_MIN_BYTES = 64 << 20;

const zero = (): BytesByCategory => ({ weights: 0, activations: 0, cache: 0, scratch: 0 });

export interface AllocatorLimits {
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
}

export class BufferAllocator {
  private live = zero();
  private peak = zero();
  private liveTotal = 0;
  private peakTotal = 0;
  private readonly sizes = new WeakMap<GPUBuffer, { bytes: number; category: MemoryCategory }>();
  private readonly free = new Map<string, GPUBuffer[]>();
  // Pooled buffers still bound by recorded, unsubmitted dispatches (see settle()).
  private readonly busy = new Set<GPUBuffer>();
  private readonly pooled = new Set<GPUBuffer>();
  private pooledBytes = 0;

  constructor(
    private readonly device: GPUDevice,
    readonly limits: AllocatorLimits,
  ) {}

  /** Throws GpuLimitError when `bytes` cannot be one buffer (or one storage binding) on this device. */
  checkFits(bytes: number, label: string, storage = true): void {
    if (bytes > this.limits.maxBufferSize) {
      throw new GpuLimitError(
        `${label}: a buffer of ${formatBytes(bytes)} (${bytes} bytes) exceeds this GPU's maxBufferSize of ${formatBytes(this.limits.maxBufferSize)}`,
        'maxBufferSize',
        bytes,
        this.limits.maxBufferSize,
      );
    }
    if (storage && bytes > this.limits.maxStorageBufferBindingSize) {
      throw new GpuLimitError(
        `${label}: a storage binding of ${formatBytes(bytes)} (${bytes} bytes) exceeds this GPU's maxStorageBufferBindingSize of ${formatBytes(this.limits.maxStorageBufferBindingSize)}`,
        'maxStorageBufferBindingSize',
        bytes,
        this.limits.maxStorageBufferBindingSize,
      );
    }
  }

  /**
   * Creates a buffer of exactly `bytes` (at least 4), counted under `category`. `idle`: the buffer will be
   * written from the host (an upload), so a pooled buffer still bound by unsubmitted dispatches will not do.
   */
  create(bytes: number, category: MemoryCategory, label: string, usage: GPUBufferUsageFlags = STORAGE_USAGE, idle = false): GPUBuffer {
    if (!Number.isFinite(bytes) || bytes < 0) throw new Error(`${label}: invalid buffer size ${bytes}`);
    const size = Math.max(4, Math.ceil(bytes / 4) * 4);
    this.checkFits(size, label, (usage & GPUBufferUsage.STORAGE) !== 0);
    const reused = this.takePooled(`${size}:${usage}`, idle);
    if (reused) {
      this.pooledBytes -= size;
      reused.label = label;
    }
    const buffer = reused ?? this.device.createBuffer({ size, usage, label });
    this.sizes.set(buffer, { bytes: size, category });
    this.live[category] += size;
    this.liveTotal += size;
    if (this.live[category] > this.peak[category]) this.peak[category] = this.live[category];
    if (this.liveTotal > this.peakTotal) this.peakTotal = this.liveTotal;
    if (!reused) this.evict(this.poolRoom());
    return buffer;
  }

  /**
   * Removes the buffer from the accounting and destroys it, now or through `destroyLater` (the engine
   * defers destruction while recorded work that uses the buffer has not been submitted). Safe to call twice.
   */
  release(buffer: GPUBuffer, later?: (b: GPUBuffer, recycle: boolean) => void): void {
    const entry = this.sizes.get(buffer);
    if (!entry) return;
    this.sizes.delete(buffer);
    this.live[entry.category] -= entry.bytes;
    this.liveTotal -= entry.bytes;
    const recycle = entry.category !== 'weights' && this.pooledBytes + entry.bytes <= this.poolRoom();
    if (recycle) this.pooledBytes += entry.bytes;
    if (later) later(buffer, recycle);
    else if (recycle) this.recycle(buffer);
    else buffer.destroy();
  }

  /**
   * Puts a released buffer back for reuse. `busy`: unsubmitted dispatches still bind it, so until settle()
   * it goes only to later dispatches (not to uploads) and is not destroyed.
   */
  recycle(buffer: GPUBuffer, busy = false): void {
    const key = `${buffer.size}:${buffer.usage}`;
    const list = this.free.get(key);
    if (list) list.push(buffer);
    else this.free.set(key, [buffer]);
    this.pooled.add(buffer);
    if (busy) this.busy.add(buffer);
  }

  /** The recorded dispatches were submitted (or dropped): every pooled buffer is idle now. */
  settle(): void {
    this.busy.clear();
  }

  /** Whether unsubmitted dispatches bind the buffer for a tensor released since (pooled or handed out again). */
  isBusy(buffer: GPUBuffer): boolean {
    return this.busy.has(buffer);
  }

  /** Whether the buffer is in the pool (released, not handed out again). */
  isPooled(buffer: GPUBuffer): boolean {
    return this.pooled.has(buffer);
  }

  /** Destroys every idle pooled buffer (busy ones stay until their batch is submitted). */
  trimPool(): void {
    this.evict(0);
  }

  /** The most recently pooled buffer under `key` (an idle one when `idle`), removed from the pool. */
  private takePooled(key: string, idle: boolean): GPUBuffer | undefined {
    const list = this.free.get(key);
    if (!list) return undefined;
    for (let i = list.length - 1; i >= 0; i--) {
      const b = list[i];
      if (idle && this.busy.has(b)) continue;
      list.splice(i, 1);
      this.pooled.delete(b);
      return b; // a busy buffer stays busy in its new tensor: the batch that binds it is still unsubmitted
    }
    return undefined;
  }

  /** Bytes the pool may hold: the peak live bytes since resetPeak, or POOL_MIN_BYTES. */
  private poolRoom(): number {
    return Math.max(POOL_MIN_BYTES, this.peakTotal);
  }

  /**
   * Destroys idle pooled buffers until the pool holds at most `limit` bytes (or no idle one is left):
   * busy ones are bound by unsubmitted dispatches, and a destroyed buffer would fail their submit.
   */
  private evict(limit: number): void {
    for (const [key, list] of this.free) {
      if (this.pooledBytes <= limit) return;
      for (let i = list.length - 1; i >= 0 && this.pooledBytes > limit; i--) {
        const b = list[i];
        if (this.busy.has(b)) continue;
        list.splice(i, 1);
        this.pooled.delete(b);
        this.pooledBytes -= b.size;
        b.destroy();
      }
      if (list.length === 0) this.free.delete(key);
    }
  }

  snapshot(): MemorySnapshot {
    return { live: { ...this.live, total: this.liveTotal }, peak: { ...this.peak, total: this.peakTotal }, pooled: this.pooledBytes };
  }

  /** Starts a new peak measurement from the bytes live now. */
  resetPeak(): void {
    this.peak = { ...this.live };
    this.peakTotal = this.liveTotal;
  }
}

// GPUBufferUsage is a global in browsers; in Node the engine installs `webgpu`'s globals first.
export const STORAGE_USAGE = 0x80 /* STORAGE */ | 0x4 /* COPY_SRC */ | 0x8; /* COPY_DST */
