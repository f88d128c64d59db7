// Argmax over the last dimension (greedy decoding on the GPU): x (..., width) -> ids (...) as u32, the
// first index of the largest value (NaN never wins). Optionally also writes each id into column `index`
// of a (rows, columns) u32 history tensor, so generated tokens stay on the GPU until one read at the end.

import source from '../../shaders/argmax.wgsl?raw';
import type { Engine } from '../engine/engine';
import { grid1d } from '../engine/engine';
import { KernelInputError } from '../engine/errors';
import { shapeToString, type Tensor } from '../engine/tensor';
import { defineUniforms } from '../engine/uniforms';
import { scratchTensor } from './scratch-pool';

const PARAMS = defineUniforms([
  ['rows', 'u32'],
  ['width', 'u32'],
  ['history', 'u32'],
  ['histStride', 'u32'],
  ['histIndex', 'u32'],
] as const);

export interface ArgmaxOptions {
  /** u32 tensor of `rows` values to write (default: a new one). */
  out?: Tensor;
  /** Also write the ids into column `index` of this u32 (rows, columns) tensor. */
  history?: { tensor: Tensor; index: number };
  label?: string;
}

export function argmax(engine: Engine, x: Tensor, opts: ArgmaxOptions = {}): Tensor {
  const width = x.shape[x.shape.length - 1];
  if (!(width > 0)) throw new KernelInputError(`argmax: x ${shapeToString(x.shape)} has an empty last dimension`);
  const rows = x.numel / width;
  const out = opts.out ?? engine.uploadU32(new Uint32Array(rows), x.shape.slice(0, -1), 'activations', opts.label ?? 'argmax.ids');
  if (out.dtype !== 'u32' || out.numel !== rows) throw new KernelInputError(`argmax: out ${out} must be a u32 tensor of ${rows} values`);
  const h = opts.history;
  if (h) {
    const columns = h.tensor.shape[h.tensor.shape.length - 1];
    if (h.tensor.dtype !== 'u32' || h.tensor.numel !== rows * columns) throw new KernelInputError(`argmax: history ${h.tensor} must be a u32 tensor (rows = ${rows}, columns)`);
    if (!Number.isInteger(h.index) || h.index < 0 || h.index >= columns) throw new KernelInputError(`argmax: history column ${h.index} is outside 0..${columns - 1}`);
  }
  const limits = engine.report.limits;
  const WG = Math.min(1024, limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX);
  const pipeline = engine.pipeline(`argmax:${WG}`, () => ({ code: PARAMS.wgsl() + source, constants: { WG } }));
  const columns = h ? h.tensor.shape[h.tensor.shape.length - 1] : 0;
  engine.dispatch(
    () => `argmax(rows=${rows}, width=${width})`,
    pipeline,
    [x, out, h?.tensor ?? scratchTensor(engine, 'argmax.no-history', 1)],
    grid1d(rows, limits.maxComputeWorkgroupsPerDimension),
    PARAMS.pack({ rows, width, history: h ? 1 : 0, histStride: columns, histIndex: h?.index ?? 0 }),
  );
  return out;
}
