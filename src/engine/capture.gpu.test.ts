// Captured work on the GPU: a replay repeats the captured dispatches with their uniform values on the
// tensors' current contents, the buffers a capture binds are not reused while it lives, and a released
// capture cannot be replayed; positional uniform fields are rewritten for the replay's position.
import { describe, expect, it } from 'vitest';
import { testEngine } from '../testing/engine';
import { binary, unary } from '../kernels/elementwise';
import { KernelInputError } from './errors';
import { ropeInPlace } from '../kernels/rope';
import { tokensFirst } from '../kernels/attention';

describe('engine capture and replay', () => {
  it('a replay recomputes from the current inputs, after the uniform arena has grown', async () => {
    const e = await testEngine();
    const a = e.upload([1, 2, 3, 4, 5, 6], [6], 'activations', 'a');
    const b = e.upload([10, 20], [2], 'activations', 'b');
    const out = e.tensor([6], 'activations', 'out');
    const before = e.dispatchCount;
    const { result, work } = e.capture(() => binary(e, 'add', a, b, { out }));
    expect(result).toBe(out);
    expect(work.dispatchCount).toBe(e.dispatchCount - before);
    expect(Array.from(await e.read(out))).toEqual([11, 22, 13, 24, 15, 26]);
    // Many dispatches with uniforms in one batch: the engine's uniform arena grows (a new buffer).
    const junk = e.tensor([6], 'activations', 'junk');
    for (let i = 0; i < 200; i++) binary(e, 'add', a, b, { out: junk });
    e.write(a, [100, 200, 300, 400, 500, 600]);
    const n = e.dispatchCount;
    expect(e.replay(work)).toBe(work.dispatchCount);
    expect(e.dispatchCount - n).toBe(work.dispatchCount);
    expect(Array.from(await e.read(out))).toEqual([110, 220, 310, 420, 510, 620]);
    // Twice in one batch, in order with ordinary dispatches.
    e.write(a, [0, 0, 0, 0, 0, 0]);
    e.replay(work);
    binary(e, 'add', out, b, { out: junk });
    e.replay(work);
    expect(Array.from(await e.read(junk))).toEqual([20, 40, 20, 40, 20, 40]);
    work.release();
    work.release();
    expect(() => e.replay(work)).toThrow(KernelInputError);
    expect(() => e.replay(work)).toThrow(/was released/);
    for (const t of [a, b, out, junk]) t.release();
    await e.sync();
  });

  it('buffers released while a capture lives are not recycled until it is released', async () => {
    const e = await testEngine();
    await e.sync();
    const x = e.upload([1, 2, 3, 4], [4], 'activations', 'x');
    const tmp = e.tensor([4], 'activations', 'tmp');
    const out = e.tensor([4], 'activations', 'out');
    const { work } = e.capture(() => {
      unary(e, 'silu', x, { out: tmp });
      binary(e, 'add', tmp, x, { out });
    });
    const tmpBuffer = tmp.buffer;
    tmp.release();
    await e.sync();
    // Same size and usage as tmp: the allocator's pool would hand tmp's buffer back if it were free.
    const fresh = Array.from({ length: 4 }, () => e.tensor([4], 'activations', 'fresh'));
    expect(fresh.some((t) => t.buffer === tmpBuffer)).toBe(false);
    for (const t of fresh) e.write(t, [9, 9, 9, 9]);
    e.write(x, [0, 0, 0, 0]);
    e.replay(work);
    expect(Array.from(await e.read(out))).toEqual([0, 0, 0, 0]);
    work.release();
    await e.sync();
    const again = Array.from({ length: 6 }, () => e.tensor([4], 'activations', 'again'));
    expect(again.some((t) => t.buffer === tmpBuffer)).toBe(true);
    for (const t of [...fresh, ...again, x, out]) t.release();
  });

  it('captures do not nest, record must be synchronous, copies are not captured', async () => {
    const e = await testEngine();
    const x = e.upload([1, 2], [2], 'activations', 'x');
    expect(() => e.capture(() => e.capture(() => unary(e, 'silu', x)))).toThrow(/do not nest/);
    expect(e.isCapturing).toBe(false);
    expect(() => e.capture(() => e.copyAfterDispatches(x, 0, x, 4, 4))).toThrow(/not captured/);
    expect(() => e.capture(() => Promise.resolve(1))).toThrow(/synchronous/);
    const y = e.upload([0, 0], [2], 'activations', 'y');
    e.copyAfterDispatches(x, 4, y, 0, 4);
    expect(Array.from(await e.read(y))).toEqual([2, 0]);
    x.release();
    y.release();
    await e.sync();
  });

  it('positional uniform fields are set for the replay position (RoPE offset)', async () => {
    const e = await testEngine();
    const src = Array.from({ length: 2 * 8 }, (_, i) => Math.sin(i + 1));
    const x = e.upload(src, [1, 2, 8], 'activations', 'x');
    const ref = e.upload(src, [1, 2, 8], 'activations', 'ref');
    // Without a position, a capture of positional fields is refused (and pins nothing).
    expect(() => e.capture(() => ropeInPlace(e, tokensFirst(x, 2), { offset: 5 }))).toThrow(/position/);
    e.write(x, src);
    const { work } = e.capture(() => ropeInPlace(e, tokensFirst(x, 2), { offset: 5 }), { position: 3 });
    expect(work.positionDependent).toBe(true);
    await e.sync();
    for (const position of [10, 4, 3]) {
      e.write(x, src);
      e.write(ref, src);
      expect(() => e.replay(work)).toThrow(/position/);
      e.replay(work, { position });
      expect(() => e.replay(work, { position })).toThrow(/once per batch/);
      ropeInPlace(e, tokensFirst(ref, 2), { offset: 5 + position - 3 });
      const [got, want] = [await e.read(x), await e.read(ref)];
      expect(Array.from(got)).toEqual(Array.from(want));
    }
    expect(() => e.replay(work, { position: -1 })).toThrow(/non-negative integer/);
    work.release();
    for (const t of [x, ref]) t.release();
    await e.sync();
  });
});
