// What every block does with its host weights: compare names and shapes with the cost model's weight table
// (the one place that lists them) and name what is missing or mis-shaped; upload each in the model's
// weight format (storage-format.ts: fp16 for the matrices that format stores as halves).

import { KernelInputError } from '../../engine/errors';
import { shapeToString, type Tensor } from '../../engine/tensor';
import type { Engine } from '../../engine/engine';
import { uploadWeight, type WeightFormat } from '../storage-format';
import type { WeightShape } from '../cost-model';
import type { HostWeights } from '../mixer';

/** name -> shape, from one of the cost model's weight lists. */
export function shapesOf(list: readonly WeightShape[]): Record<string, number[]> {
  return Object.fromEntries(list.map((w) => [w.name, w.shape]));
}

/**
 * Throws KernelInputError `KIND: missing weight 'NAME' (expected shape ...)` or `KIND: weight 'NAME' has
 * shape ...; expected ...`. `alsoAccept` lets a block take an equivalent layout (same values, e.g. Mamba's
 * conv1d.weight as (Di, W) instead of (Di, 1, W)).
 */
export function checkBlockWeights(kind: string, expected: Record<string, number[]>, host: HostWeights, alsoAccept?: (name: string, given: readonly number[], expected: readonly number[]) => boolean): void {
  for (const [name, shape] of Object.entries(expected)) {
    const w = host[name];
    if (!w) throw new KernelInputError(`${kind}: missing weight '${name}' (expected shape ${shapeToString(shape)})`);
    const same = w.shape.length === shape.length && w.shape.every((d, i) => d === shape[i]);
    if (!same && !alsoAccept?.(name, w.shape, shape)) throw new KernelInputError(`${kind}: weight '${name}' has shape ${shapeToString(w.shape)}; expected ${shapeToString(shape)}`);
    const n = shape.reduce((a, b) => a * b, 1);
    if (w.data.length !== n) throw new KernelInputError(`${kind}: weight '${name}' holds ${w.data.length} values for shape ${shapeToString(shape)}`);
  }
}

/** Uploads a block's weight `name` as '`kind`.`name`': as halves when `format` stores that name so, else float32. */
export function uploadBlockWeight(engine: Engine, kind: string, name: string, data: Float32Array, shape: readonly number[], format: WeightFormat): Tensor {
  return uploadWeight(engine, name, data, shape, format, `${kind}.${name}`);
}
