// Weight bindings that read float32 or fp16 storage (see src/engine/half.ts), for the kernels that read
// weight matrices: matmul (every variant), the gemv kernels and the fused decode projections, embedding.
// The host prepends the binding and a reader function to the kernel's source; the kernel calls the reader
// with an element index (or a vec4 index: elements 4i .. 4i + 3) and computes in float32 either way.
//   f32, f32 elements:  array<f32>,        read as it is
//   f32, vec4 elements: array<vec4<f32>>,  read as it is
//   f16, f32 elements:  array<u32>,        unpack2x16float of word i / 2, half i % 2
//   f16, vec4 elements: array<vec2<u32>>,  two unpack2x16float (8 bytes per vec4 instead of 16)
// unpack2x16float is core WGSL: halves need no adapter feature.
// The gemv kernels read U elements per step (stepReaderWgsl: fn(i) -> array<V, U>, step i = elements
// U·i .. U·i + U - 1); with U = 2 and vec4 elements an fp16 step is one vec4<u32> (16 bytes, 8 halves), so
// halves stream in loads as wide as float32's.

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

/** WGSL of a weight binding and its step reader fn(i: u32) -> array<V, units> (V: f32 or vec4<f32>). */
export function stepReaderWgsl(r: WeightReader, units: 1 | 2): string {
  const V = r.element === 'vec4' ? 'vec4<f32>' : 'f32';
  const head = (type: string) => `@group(0) @binding(${r.binding}) var<storage, read> ${r.name}: array<${type}>;\nfn ${r.fn}(i: u32) -> array<${V}, ${units}> { `;
  if (units === 1) return weightReaderWgsl({ ...r, fn: `${r.fn}_1` }) + `fn ${r.fn}(i: u32) -> array<${V}, 1> { return array<${V}, 1>(${r.fn}_1(i)); }\n`;
  if (r.element !== 'vec4') throw new Error('stepReaderWgsl: two elements per step are read as vec4 only');
  if (r.format === 'f32') return head('vec4<f32>') + `return array<vec4<f32>, 2>(${r.name}[2u * i], ${r.name}[2u * i + 1u]); }\n`;
  return (
    head('vec4<u32>') +
    `let p = ${r.name}[i]; return array<vec4<f32>, 2>(vec4<f32>(unpack2x16float(p.x), unpack2x16float(p.y)), vec4<f32>(unpack2x16float(p.z), unpack2x16float(p.w))); }\n`
  );
}

/** The pipeline-key part for a list of formats ('' when all are f32, so float32 keys stay as they were). */
export function formatsKey(formats: readonly StorageFormat[]): string {
  return formats.every((f) => f === 'f32') ? '' : `:w=${formats.join(',')}`;
}
