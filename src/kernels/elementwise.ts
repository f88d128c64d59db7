// Elementwise ops: silu, sigmoid, softplus (threshold 20, as the references), exp, copy; add and mul with
// b broadcast (b's length must divide a's), mulSilu(a, g) = a · silu(g) (the Mamba and SwiGLU gates).

import source from '../../shaders/elementwise.wgsl?raw';
import type { Engine } from '../engine/engine';
import { grid1d } from '../engine/engine';
import { KernelInputError } from '../engine/errors';
import { Tensor, shapeToString } from '../engine/tensor';
import { defineUniforms } from '../engine/uniforms';
import type { MemoryCategory } from '../engine/allocator';

const PARAMS = defineUniforms([
  ['n', 'u32'],
  ['bLen', 'u32'],
] as const);

export const UNARY_OPS = { silu: 0, sigmoid: 1, softplus: 2, exp: 6, copy: 5 } as const;
export const BINARY_OPS = { add: 3, mul: 4, mulSilu: 7 } as const;
export type UnaryOp = keyof typeof UNARY_OPS;
export type BinaryOp = keyof typeof BINARY_OPS;

const WG = 256;

interface Opts {
  out?: Tensor;
  category?: MemoryCategory;
  label?: string;
}

function run(engine: Engine, op: string, code: number, a: Tensor, b: Tensor, opts: Opts): Tensor {
  const out = opts.out ?? engine.tensor(a.shape, opts.category ?? 'activations', opts.label ?? `${op}.out`);
  if (out.numel !== a.numel) throw new KernelInputError(`${op}: out ${shapeToString(out.shape)} does not match a ${shapeToString(a.shape)}`);
  const pipeline = engine.pipeline(`elementwise:${op}`, () => ({ code: PARAMS.wgsl() + source, constants: { OP: code, WG } }));
  const grid = grid1d(Math.ceil(a.numel / WG), engine.report.limits.maxComputeWorkgroupsPerDimension);
  engine.dispatch(() => `${op}(n=${a.numel})`, pipeline, [a, b, out], grid, PARAMS.pack({ n: a.numel, bLen: Math.max(1, b.numel) }));
  return out;
}

export function unary(engine: Engine, op: UnaryOp, a: Tensor, opts: Opts = {}): Tensor {
  // The shader binds B even for unary ops; bind a again (read-only aliasing is allowed).
  return run(engine, op, UNARY_OPS[op], a, a, opts);
}

export function binary(engine: Engine, op: BinaryOp, a: Tensor, b: Tensor, opts: Opts = {}): Tensor {
  if (b.numel === 0 || a.numel % b.numel !== 0) {
    throw new KernelInputError(`${op}: b ${shapeToString(b.shape)} does not broadcast over a ${shapeToString(a.shape)} (its size must divide a's)`);
  }
  return run(engine, op, BINARY_OPS[op], a, b, opts);
}
