// Captured work: a recorded sequence of dispatches that the engine can append to later batches again
// without running the code that recorded it (the WebGPU analogue of a CUDA graph). Engine.capture() makes
// one; Engine.replay() appends its dispatches to the current batch.
//
// Each captured dispatch keeps its pipeline, workgroup counts and a bind group resolved once at capture:
// the uniform blocks of every dispatch live in one uniform buffer owned by the capture, written when the
// capture ends, so a replay looks up no bind group and, for position-free work, writes no uniforms.
// Position-dependent fields: a dispatch may name u32 fields of its uniform block whose value advances by
// one per token (a RoPE offset, a KV-cache append index, an attended length). The capture keeps their
// captured values and the position they were captured at; replay(work, { position }) sets each to
// captured + (position - captured position) and writes the span of the capture's uniform buffer that
// holds them (one queue.writeBuffer per replay, before the batch is submitted). Because that write lands
// before the whole batch, such a capture replays at most once per batch.
// The buffers the dispatches bind are pinned while the capture lives: releasing one of their tensors
// removes its bytes from the accounting as usual, but the buffer is neither recycled nor destroyed until
// every capture that binds it is released.

import type { Binding, KernelLabel } from './engine';

/** One dispatch as the engine records it; `group` is set for captured dispatches (resolved at capture). */
export interface RecordedDispatch {
  kernel: KernelLabel;
  pipeline: GPUComputePipeline;
  uniformOffset: number;
  uniformSize: number;
  bindings: Binding[];
  x: number;
  y: number;
  z: number;
  group: GPUBindGroup | null;
}

/** Position-dependent u32 fields of a capture (see the header). */
export interface PositionalFields {
  /** The position the capture was recorded at. */
  basePosition: number;
  /** Byte offsets of the fields in the capture's uniform buffer, ascending. */
  offsets: Uint32Array;
  /** Their captured values. */
  values: Uint32Array;
  /** Byte span [lo, hi) of the uniform buffer that holds them (lo, hi multiples of 4). */
  lo: number;
  hi: number;
  /** Host copy of that span, patched and written on each replay. */
  bytes: Uint8Array;
}

export interface CaptureOwner {
  releaseCapture(work: CapturedWork): void;
}

export class CapturedWork {
  private released = false;

  constructor(
    private readonly owner: CaptureOwner,
    /** The captured dispatches in order, each with its bind group; appended by reference on replay. */
    readonly dispatches: readonly RecordedDispatch[],
    /** Every buffer the dispatches bind (pinned while the capture lives). */
    readonly buffers: readonly GPUBuffer[],
    /** The capture's own uniform buffer (null when no dispatch had uniforms). */
    readonly uniformBuffer: GPUBuffer | null,
    /** Bytes of uniform blocks the capture holds (aligned slots). */
    readonly uniformBytes: number,
    /** Position-dependent fields (null: the capture replays unchanged at any position). */
    readonly positional: PositionalFields | null = null,
  ) {}

  /** The submit batch this capture was last replayed in (captures with positional fields replay once per batch). */
  lastReplayBatch = -1;

  /** Whether a replay needs { position } (some dispatch's uniforms depend on the position). */
  get positionDependent(): boolean {
    return this.positional !== null;
  }

  /** Dispatches appended per replay. */
  get dispatchCount(): number {
    return this.dispatches.length;
  }

  get isReleased(): boolean {
    return this.released;
  }

  /** Owns `engine`? (a capture replays only on the engine that made it) */
  belongsTo(owner: CaptureOwner): boolean {
    return this.owner === owner;
  }

  /**
   * Unpins the buffers (those whose tensors were released go back to the allocator's pool or are destroyed,
   * after any replay still waiting for submit) and frees the uniform buffer. Safe to call twice.
   */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.owner.releaseCapture(this);
  }
}
