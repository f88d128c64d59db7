// Embedding lookup: ids (...) u32, table (vocab, D) float32 or fp16 -> out (..., D) float32.

import source from '../../shaders/embedding.wgsl?raw';
import type { Engine } from '../engine/engine';
import { grid1d } from '../engine/engine';
import { KernelInputError } from '../engine/errors';
import { Tensor } from '../engine/tensor';
import { defineUniforms } from '../engine/uniforms';
import { formatsKey, storageFormatOf, storageReaderWgsl } from './storage-read';
import type { MemoryCategory } from '../engine/allocator';

const PARAMS = defineUniforms([
  ['tokens', 'u32'],
  ['D', 'u32'],
  ['vocab', 'u32'],
] as const);

const WG = 256;

export function embedding(engine: Engine, ids: Tensor, table: Tensor, opts: { out?: Tensor; category?: MemoryCategory; label?: string } = {}): Tensor {
  if (ids.dtype !== 'u32') throw new KernelInputError('embedding: ids must be a u32 tensor (engine.uploadU32)');
  if (table.shape.length !== 2) throw new KernelInputError('embedding: table must be (vocab, D)');
  const [vocab, D] = table.shape;
  const tokens = ids.numel;
  const out = opts.out ?? engine.tensor([...ids.shape, D], opts.category ?? 'activations', opts.label ?? 'embedding.out');
  const format = storageFormatOf(table, 'embedding');
  const pipeline = engine.pipeline(`embedding${formatsKey([format])}`, () => ({
    code: PARAMS.wgsl() + storageReaderWgsl({ binding: 2, name: 'table', fn: 'load_table', format, element: 'f32' }) + source,
    constants: { WG },
  }));
  const grid = grid1d(Math.ceil((tokens * D) / WG), engine.report.limits.maxComputeWorkgroupsPerDimension);
  engine.dispatch(() => `embedding(tokens=${tokens}, D=${D})`, pipeline, [ids, table, out], grid, PARAMS.pack({ tokens, D, vocab }));
  return out;
}
