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
 * tokens took 94-142 ms with buffers over 1 MiB created per forward, 29-30 ms with every released buffer
 * kept, and 45-48 ms (in another command, against 30-31 unbounded) in this bounded form
 * (docs/measurements/h200/run-2026-12-02d/pool). The pool holds at most the peak live bytes since the last
 * resetPeak (or POOL_MIN_BYTES, whichever is more), so the GPU memory held stays within twice the peak
 * live bytes: a released buffer is kept only if it fits, and creating a buffer the pool cannot supply
 * first destroys pooled ones beyond that bound (after a resetPeak lowered it). A tighter bound (live plus
 * pooled within the peak) destroyed buffers the next forward needed and measured as slow as no reuse
 * (sw-bounded-*). trimPool empties the pool (the sweep does between points). Weights are not pooled:
 * releasing them means their model is gone.
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

  /** Creates a buffer of exactly `bytes` (at least 4), counted under `category`. */
  create(bytes: number, category: MemoryCategory, label: string, usage: GPUBufferUsageFlags = STORAGE_USAGE): GPUBuffer {
    if (!Number.isFinite(bytes) || bytes < 0) throw new Error(`${label}: invalid buffer size ${bytes}`);
    const size = Math.max(4, Math.ceil(bytes / 4) * 4);
    this.checkFits(size, label, (usage & GPUBufferUsage.STORAGE) !== 0);
    const reused = this.free.get(`${size}:${usage}`)?.pop();
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

  /** Puts a released buffer (no longer used by unsubmitted work) back for reuse. */
  recycle(buffer: GPUBuffer): void {
    const key = `${buffer.size}:${buffer.usage}`;
    const list = this.free.get(key);
    if (list) list.push(buffer);
    else this.free.set(key, [buffer]);
  }

  /** Destroys every pooled buffer (those still waiting for recorded work to be submitted join the pool after). */
  trimPool(): void {
    this.evict(0);
  }

  /** Bytes the pool may hold: the peak live bytes since resetPeak, or POOL_MIN_BYTES. */
  private poolRoom(): number {
    return Math.max(POOL_MIN_BYTES, this.peakTotal);
  }

  /** Destroys pooled buffers until the pool holds at most `limit` bytes (or none is left to destroy). */
  private evict(limit: number): void {
    for (const [key, list] of this.free) {
      if (this.pooledBytes <= limit) return;
      while (list.length > 0 && this.pooledBytes > limit) {
        const b = list.pop()!;
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
