// A GPU tensor: a buffer with a shape (row-major, last dimension fastest), an element type and the memory
// category it is counted under. Element types: 'f32'; 'u32' (token ids); 'f16' (IEEE halves packed two per
// u32, element 2i in the low half of word i: weights stored as halves, see half.ts). Tensors are created
// through the Engine so that the allocator sees every byte.

import type { MemoryCategory } from './allocator';
import { halfStorageBytes } from './half';

export type TensorDtype = 'f32' | 'u32' | 'f16';

/** Bytes of n elements of a dtype on the GPU. */
export function dtypeBytes(dtype: TensorDtype, n: number): number {
  return dtype === 'f16' ? halfStorageBytes(n) : 4 * n;
}

export interface TensorOwner {
  releaseBuffer(buffer: GPUBuffer): void;
}

export class Tensor {
  private released = false;
  constructor(
    private readonly owner: TensorOwner,
    readonly buffer: GPUBuffer,
    readonly shape: readonly number[],
    readonly category: MemoryCategory,
    readonly label: string,
    readonly dtype: TensorDtype = 'f32',
  ) {}

  get numel(): number {
    return numel(this.shape);
  }

  get bytes(): number {
    return dtypeBytes(this.dtype, this.numel);
  }

  get isReleased(): boolean {
    return this.released;
  }

  /** Frees the GPU buffer and its accounting (a view frees nothing). */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.owner.releaseBuffer(this.buffer);
  }

  /** The same buffer seen with another shape of the same size; releasing the view frees nothing. */
  view(shape: readonly number[]): Tensor {
    if (numel(shape) !== this.numel) throw new Error(`${this.label}: cannot view ${this.numel} values as [${shape.join('×')}]`);
    return new Tensor(VIEW_OWNER, this.buffer, [...shape], this.category, this.label, this.dtype);
  }

  toString(): string {
    return `${this.label}[${this.shape.join('×')}]`;
  }
}

const VIEW_OWNER: TensorOwner = { releaseBuffer: () => {} };

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function shapeToString(shape: readonly number[]): string {
  return `(${shape.join(', ')})`;
}
