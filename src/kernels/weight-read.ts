// Weight bindings that read float32 or fp16 storage (see src/engine/half.ts), for the kernels that read
// weight matrices: matmul (every variant), the gemv kernels and the fused decode projections, embedding.
// The host prepends the binding and a reader function to the kernel's source; the kernel calls the reader
// with an element index (or a vec4 index: elements 4i .. 4i + 3) and computes in float32 either way.
//   f32, f32 elements:  array<f32>,        read as it is
//   f32, vec4 elements: array<vec4<f32>>,  read as it is
//   f16, f32 elements:  array<u32>,        unpack2x16float of word i / 2, half i % 2
//   f16, vec4 elements: array<vec2<u32>>,  two unpack2x16float (8 bytes per vec4 instead of 16)
// unpack2x16float is core WGSL: halves need no adapter feature.

import { KernelInputError } from '../engine/errors';
import type { Tensor } from '../engine/tensor';

export type StorageFormat = 'f32' | 'f16';
export type ReadElement = 'f32' | 'vec4';

export interface WeightReader {
  /** Binding number in group 0. */
  binding: number;
  /** Name of the storage variable. */
  name: string;
  /** Name of the reader function: fn(i: u32) -> f32 or vec4<f32>. */
  fn: string;
  format: StorageFormat;
  element: ReadElement;
}

/** The storage format of a tensor a kernel reads as weights: 'f32' or 'f16'; a u32 tensor is an error. */
export function storageFormatOf(t: Tensor, who: string): StorageFormat {
  if (t.dtype === 'u32') throw new KernelInputError(`${who}: ${t} holds u32 values; weights must be f32 or f16`);
  return t.dtype;
}

/** WGSL of a weight binding and its reader function. */
export function weightReaderWgsl(r: WeightReader): string {
  const decl = (type: string) => `@group(0) @binding(${r.binding}) var<storage, read> ${r.name}: array<${type}>;\n`;
  if (r.format === 'f32') {
    const type = r.element === 'vec4' ? 'vec4<f32>' : 'f32';
    return decl(type) + `fn ${r.fn}(i: u32) -> ${type} { return ${r.name}[i]; }\n`;
  }
  if (r.element === 'vec4') {
    return decl('vec2<u32>') + `fn ${r.fn}(i: u32) -> vec4<f32> { let p = ${r.name}[i]; return vec4<f32>(unpack2x16float(p.x), unpack2x16float(p.y)); }\n`;
  }
  return decl('u32') + `fn ${r.fn}(i: u32) -> f32 { return unpack2x16float(${r.name}[i >> 1u])[i & 1u]; }\n`;
}

/** The pipeline-key part for a list of formats ('' when all are f32, so float32 keys stay as they were). */
export function formatsKey(formats: readonly StorageFormat[]): string {
  return formats.every((f) => f === 'f32') ? '' : `:w=${formats.join(',')}`;
}
