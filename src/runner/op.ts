// The kernel runner's contract (see ../shared/golden/README.md): an op takes named host tensors and string
// attributes (from safetensors __metadata__), runs on the engine's WGSL kernels, and returns named host
// tensors. Helpers here turn a missing input, a wrong shape or a bad attribute into a message that names it.

import type { Engine } from '../engine/engine';
import { KernelInputError } from '../engine/errors';
import type { HostTensor } from '../io/safetensors';

export type Attrs = Record<string, string>;

export interface RunnerOp {
  /** Input names: required ones plain, optional ones listed in `optional`. */
  inputs: readonly string[];
  optional?: readonly string[];
  run(engine: Engine, inputs: Record<string, HostTensor>, attrs: Attrs): Promise<Record<string, HostTensor>>;
}

export function requireInput(op: string, inputs: Record<string, HostTensor>, name: string, rank?: number): HostTensor {
  const t = inputs[name];
  if (!t) throw new KernelInputError(`${op}: missing input '${name}'`);
  if (rank !== undefined && t.shape.length !== rank) {
    throw new KernelInputError(`${op}: input '${name}' has shape ${JSON.stringify(t.shape)}; expected ${rank} dimensions`);
  }
  return t;
}

/** Asserts t.shape equals `expected` (numbers), naming the input and both shapes. */
export function expectShape(op: string, name: string, t: HostTensor, expected: readonly number[]): void {
  if (t.shape.length !== expected.length || t.shape.some((d, i) => d !== expected[i])) {
    throw new KernelInputError(`${op}: input '${name}' has shape ${JSON.stringify(t.shape)}; expected ${JSON.stringify(expected)}`);
  }
}

export function attrBool(op: string, attrs: Attrs, name: string, fallback: boolean): boolean {
  const v = attrs[name];
  if (v === undefined || v === '') return fallback;
  if (v === 'true' || v === 'True' || v === '1') return true;
  if (v === 'false' || v === 'False' || v === '0') return false;
  throw new KernelInputError(`${op}: attribute ${name}='${v}' is not true or false`);
}

export function attrNumber(op: string, attrs: Attrs, name: string, fallback?: number): number {
  const v = attrs[name];
  if (v === undefined || v === '' || v === 'None') {
    if (fallback === undefined) throw new KernelInputError(`${op}: missing attribute '${name}'`);
    return fallback;
  }
  const n = Number(v);
  if (!Number.isFinite(n)) throw new KernelInputError(`${op}: attribute ${name}='${v}' is not a number`);
  return n;
}

export function toF32(t: HostTensor): Float32Array {
  return t.data instanceof Float32Array ? t.data : Float32Array.from(t.data);
}

/** Transposes the last two axes of a host array viewed as (batch, rows, cols). */
export function transposeLast2(data: ArrayLike<number>, batch: number, rows: number, cols: number): Float32Array {
  const out = new Float32Array(batch * rows * cols);
  for (let b = 0; b < batch; b++) {
    const o = b * rows * cols;
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[o + c * rows + r] = data[o + r * cols + c];
  }
  return out;
}
