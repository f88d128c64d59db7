// Captured work: a recorded sequence of dispatches that the engine can append to later batches again
// without running the code that recorded it (the WebGPU analogue of a CUDA graph). Engine.capture() makes
// one; Engine.replay() appends its dispatches to the current batch.
//
// Each captured dispatch keeps its pipeline, workgroup counts and a bind group resolved once at capture:
// the uniform blocks of every dispatch live in one uniform buffer owned by the capture, written once when
// the capture ends (the bytes never change), so a replay writes no uniforms and looks up no bind group.
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
  ) {}

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
