// Scratch buffers that outlive one kernel call: a kernel records dispatches that run later (at submit),
// so a temporary it allocates must stay alive until then. The pool keeps one growable tensor per
// (engine, name) and reuses it across calls (dispatches in one pass run in order, so reuse is safe).
// A buffer replaced by a larger one is destroyed only once nothing recorded can still refer to it
// (no pending dispatches), at a later call.

import type { Engine } from '../engine/engine';
import { Tensor } from '../engine/tensor';
import type { MemoryCategory } from '../engine/allocator';

interface Pool {
  byName: Map<string, Tensor>;
  retired: Tensor[];
}

const pools = new WeakMap<Engine, Pool>();

function poolOf(engine: Engine): Pool {
  let p = pools.get(engine);
  if (!p) {
    p = { byName: new Map(), retired: [] };
    pools.set(engine, p);
  }
  return p;
}

/** Destroys retired buffers when no recorded dispatch can refer to them. */
function collect(engine: Engine, pool: Pool): void {
  if (pool.retired.length === 0 || engine.pendingDispatches > 0) return;
  for (const t of pool.retired) t.release();
  pool.retired = [];
}

/** A tensor of at least `elements` floats (contents undefined), owned by the pool under `name`. */
export function scratchTensor(engine: Engine, name: string, elements: number, category: MemoryCategory = 'scratch'): Tensor {
  const pool = poolOf(engine);
  collect(engine, pool);
  const have = pool.byName.get(name);
  const need = Math.max(1, elements);
  if (have && have.numel >= need) return have;
  if (have) pool.retired.push(have);
  // Grow geometrically so that slowly growing sizes do not reallocate every call.
  const size = have ? Math.max(need, Math.ceil(have.numel * 1.5)) : need;
  const t = engine.tensor([size], category, name);
  pool.byName.set(name, t);
  return t;
}

/** Releases every pooled tensor of `engine` (call after sync, e.g. when tearing a model down). */
export function releaseScratch(engine: Engine): void {
  const pool = pools.get(engine);
  if (!pool) return;
  for (const t of pool.byName.values()) t.release();
  for (const t of pool.retired) t.release();
  pools.delete(engine);
}

const NO_OWNER = { releaseBuffer: () => {} };

/**
 * A tensor of exactly `shape` over the front of the pooled buffer `name` (see scratchTensor). Releasing it
 * frees nothing; the pool keeps the buffer for the next call. For intermediates inside one op or block.
 */
export function scratchShaped(engine: Engine, name: string, shape: readonly number[], category: MemoryCategory = 'scratch'): Tensor {
  const pooled = scratchTensor(engine, name, shape.reduce((a, b) => a * b, 1), category);
  return new Tensor(NO_OWNER, pooled.buffer, [...shape], category, name);
}
