// Bindings that read float32 or fp16 storage (see src/engine/half.ts): weight matrices in the kernels that
// read them (matmul in every variant, the gemv kernels and the fused decode projections, embedding) and the
// keys and values of a KV cache in the attention kernels. The host prepends the binding and a reader
// function to the kernel's source; the kernel calls the reader with an element index (or a vec4 index:
// elements 4i .. 4i + 3) and computes in float32 either way. halfStoreWgsl gives the KV-cache append
// kernels their writer.
//   f32, f32 elements:  array<f32>,        read as it is
//   f32, vec4 elements: array<vec4<f32>>,  read as it is
//   f16, f32 elements:  array<u32>,        unpack2x16float of word i / 2, half i % 2
//   f16, vec4 elements: array<vec2<u32>>,  two unpack2x16float (8 bytes per vec4 instead of 16)
// unpack2x16float is core WGSL: halves need no adapter feature.

import { KernelInputError } from '../engine/errors';
import type { Tensor } from '../engine/tensor';

export type StorageFormat = 'f32' | 'f16';
export type ReadElement = 'f32' | 'vec4';

export interface StorageReader {
  /** Binding number in group 0. */
  binding: number;
  /** Name of the storage variable. */
  name: string;
  /** Name of the reader function: fn(i: u32) -> f32 or vec4<f32>. */
  fn: string;
  format: StorageFormat;
  element: ReadElement;
}

/** The storage format of a tensor a kernel reads as weights (or keys and values): 'f32' or 'f16'; a u32 tensor is an error. */
export function storageFormatOf(t: Tensor, who: string, what = 'weights'): StorageFormat {
  if (t.dtype === 'u32') throw new KernelInputError(`${who}: ${t} holds u32 values; ${what} must be f32 or f16`);
  return t.dtype;
}

/** WGSL of a read-only binding (weights, keys, values) and its reader function. */
export function storageReaderWgsl(r: StorageReader): string {
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
  return formats.every((f) => f === 'f32') ? '' : `:formats=${formats.join(',')}`;
}

/**
 * WGSL of a read_write binding `name` at `binding` and `fn(i: u32, v0: f32, v1: f32)`, which stores v0 and
 * v1 as elements i and i + 1 (i even). f32: two floats. f16: one u32 of two halves (pack2x16float), each
 * value first clamped to fp16's finite range (±65504) and magnitudes below 2^-14 (fp16's subnormals) made
 * zero, as half.ts stores halves, so that every GPU stores the same word (up to the rounding direction,
 * which WGSL leaves to the implementation: either neighbour of the value).
 */
export function halfStoreWgsl(binding: number, name: string, fn: string, format: StorageFormat): string {
  if (format === 'f32') {
    return `@group(0) @binding(${binding}) var<storage, read_write> ${name}: array<f32>;\n` + `fn ${fn}(i: u32, v0: f32, v1: f32) { ${name}[i] = v0; ${name}[i + 1u] = v1; }\n`;
  }
  return (
    `@group(0) @binding(${binding}) var<storage, read_write> ${name}: array<u32>;\n` +
    `fn ${fn}_half(v: f32) -> f32 { let c = clamp(v, -65504.0, 65504.0); return select(c, 0.0, abs(c) < 6.103515625e-5); }\n` +
    `fn ${fn}(i: u32, v0: f32, v1: f32) { ${name}[i >> 1u] = pack2x16float(vec2<f32>(${fn}_half(v0), ${fn}_half(v1))); }\n`
  );
}
