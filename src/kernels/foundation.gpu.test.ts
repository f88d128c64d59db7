// Foundation kernels against their float64 twins on random inputs of awkward sizes.
import { describe, expect, it } from 'vitest';
import { testEngine } from '../testing/engine';
import { normalArray, relativeError, uniformArray } from '../testing/random';
import { embeddingRef, matmulRef, rmsnormRef, sigmoid, silu, softplus } from '../reference/basic';
import { matmul } from './matmul';
import { binary, unary } from './elementwise';
import { rmsnorm } from './rmsnorm';
import { embedding } from './embedding';
import { GpuLimitError, KernelInputError } from '../engine/errors';

const TOL = 1e-5;

describe('matmul (tiled and naive) against the float64 twin', () => {
  const cases: [number, number, number, number, boolean, boolean][] = [
    // batch, M, K, N, transposeB, batchedB
    [1, 1, 1, 1, false, false],
    [1, 1, 7, 13, true, false],
    [1, 3, 5, 7, false, false],
    [1, 67, 129, 65, true, false],
    [3, 17, 31, 97, false, true],
    [2, 64, 64, 64, true, false],
    [1, 130, 257, 3, true, false],
  ];
  for (const variant of ['tiled', 'naive'] as const) {
    for (const [batch, M, K, N, tB, bB] of cases) {
      it(`${variant} batch=${batch} M=${M} K=${K} N=${N}${tB ? ' wᵀ' : ''}${bB ? ' batched w' : ''}`, async () => {
        const e = await testEngine();
        const a = normalArray(batch * M * K, M * 31 + K);
        const w = normalArray((bB ? batch : 1) * K * N, N * 17 + K);
        const aT = e.upload(a, [batch, M, K], 'activations', 'a');
        const wShape = tB ? [N, K] : [K, N];
        const wT = e.upload(w, bB ? [batch, ...wShape] : wShape, 'weights', 'w');
        const out = matmul(e, aT, wT, { transposeB: tB, variant });
        expect(out.shape).toEqual([batch, M, N]);
        const got = await e.read(out);
        expect(relativeError(got, matmulRef(a, w, batch, M, K, N, tB, bB))).toBeLessThan(TOL);
        [aT, wT, out].forEach((t) => t.release());
      });
    }
  }

  // The matrix-vector kernel (decode): rows folded from the batch, vec4 and scalar paths, column ranges.
  const gemvCases: [number, number, number, number, number][] = [
    // batch, M, K, N, aColumns offset (-1: none)
    [1, 1, 768, 3072, -1],
    [1, 1, 7, 13, -1],
    [3, 1, 64, 50, -1],
    [2, 2, 130, 257, -1],
    [1, 4, 33, 9, -1],
    [1, 1, 48, 1536, 0],
    [2, 1, 20, 31, 8],
  ];
  for (const [batch, M, K, N, offset] of gemvCases) {
    it(`gemv batch=${batch} M=${M} K=${K} N=${N}${offset >= 0 ? ` columns from ${offset}` : ''} (auto picks it)`, async () => {
      const e = await testEngine();
      const width = offset >= 0 ? K + offset + 5 : K;
      const a = normalArray(batch * M * width, K + N);
      const w = normalArray(N * K, N * 3 + K);
      const sub = new Float32Array(batch * M * K);
      for (let r = 0; r < batch * M; r++) for (let k = 0; k < K; k++) sub[r * K + k] = a[r * width + Math.max(0, offset) + k];
      const before = e.dispatchCount;
      const out = matmul(e, e.upload(a, [batch, M, width], 'activations', 'a'), e.upload(w, [N, K], 'weights', 'w'), { transposeB: true, aColumns: offset >= 0 ? { offset, count: K } : undefined });
      expect(e.dispatchCount - before).toBe(1);
      expect(out.shape).toEqual([batch, M, N]);
      expect(relativeError(await e.read(out), matmulRef(sub, w, batch, M, K, N, true))).toBeLessThan(TOL);
    });
  }

  it('gemv accumulates, and refuses more rows than it handles', async () => {
    const e = await testEngine();
    const [K, N] = [96, 40];
    const a = normalArray(K, 1);
    const w = normalArray(N * K, 2);
    const base = normalArray(N, 3);
    const out = e.upload(base, [1, N], 'activations', 'residual');
    matmul(e, e.upload(a, [1, K], 'activations', 'a'), e.upload(w, [N, K], 'weights', 'w'), { transposeB: true, out, accumulate: true, variant: 'gemv' });
    expect(relativeError(await e.read(out), matmulRef(a, w, 1, 1, K, N, true).map((v, i) => v + base[i]))).toBeLessThan(TOL);
    expect(() => matmul(e, e.tensor([5, K], 'activations', 'a'), e.upload(w, [N, K], 'weights', 'w'), { transposeB: true, variant: 'gemv' })).toThrow(/at most 4 rows; got 5/);
  });

  it('accumulates into an existing output (residual add)', async () => {
    const e = await testEngine();
    const [M, K, N] = [5, 9, 11];
    const a = normalArray(M * K, 1);
    const w = normalArray(N * K, 2);
    const base = normalArray(M * N, 3);
    const out = e.upload(base, [M, N], 'activations', 'residual');
    matmul(e, e.upload(a, [M, K], 'activations', 'a'), e.upload(w, [N, K], 'weights', 'w'), { transposeB: true, out, accumulate: true });
    const ref = matmulRef(a, w, 1, M, K, N, true).map((v, i) => v + base[i]);
    expect(relativeError(await e.read(out), ref)).toBeLessThan(TOL);
  });

  it('reads a column range of a wider a without a copy (aColumns)', async () => {
    const e = await testEngine();
    const [batch, M, wide, offset, K, N] = [2, 9, 23, 5, 11, 7];
    const a = normalArray(batch * M * wide, 4);
    const w = normalArray(N * K, 5);
    const sub = new Float32Array(batch * M * K);
    for (let r = 0; r < batch * M; r++) for (let k = 0; k < K; k++) sub[r * K + k] = a[r * wide + offset + k];
    for (const variant of ['tiled', 'naive'] as const) {
      const out = matmul(e, e.upload(a, [batch, M, wide], 'activations', 'a'), e.upload(w, [N, K], 'weights', 'w'), { transposeB: true, aColumns: { offset, count: K }, variant });
      expect(out.shape).toEqual([batch, M, N]);
      expect(relativeError(await e.read(out), matmulRef(sub, w, batch, M, K, N, true)), variant).toBeLessThan(TOL);
    }
    expect(() => matmul(e, e.tensor([2, 8], 'activations', 'a'), e.tensor([3, 4], 'weights', 'w'), { transposeB: true, aColumns: { offset: 6, count: 4 } })).toThrow(/columns \[6, 10\) are outside/);
  });

  it('names the mismatched dimension when shapes do not fit', async () => {
    const e = await testEngine();
    const a = e.tensor([4, 5], 'activations', 'a');
    const w = e.tensor([6, 7], 'weights', 'w');
    expect(() => matmul(e, a, w)).toThrow(KernelInputError);
    expect(() => matmul(e, a, w)).toThrow(/K=5.*K=6/);
  });
});

describe('elementwise ops', () => {
  for (const n of [1, 255, 257, 10_007]) {
    it(`silu, sigmoid, softplus over ${n} values, including both sides of the softplus threshold`, async () => {
      const e = await testEngine();
      const x = uniformArray(n, n, -30, 30);
      if (n > 2) {
        x[0] = 20;
        x[1] = 20.001;
        x[2] = -25;
      }
      const t = e.upload(x, [n], 'activations', 'x');
      for (const [op, f] of [
        ['silu', silu],
        ['sigmoid', sigmoid],
        ['softplus', softplus],
      ] as const) {
        const got = await e.read(unary(e, op, t));
        expect(relativeError(got, Array.from(x, f)), op).toBeLessThan(TOL);
      }
    });
  }

  it('add and mul broadcast b over leading dims; mulSilu gates', async () => {
    const e = await testEngine();
    const [rows, D] = [13, 37];
    const a = normalArray(rows * D, 5);
    const b = normalArray(D, 6);
    const g = normalArray(rows * D, 7);
    const aT = e.upload(a, [rows, D], 'activations', 'a');
    const bT = e.upload(b, [D], 'weights', 'b');
    expect(relativeError(await e.read(binary(e, 'add', aT, bT)), Array.from(a, (v, i) => v + b[i % D]))).toBeLessThan(TOL);
    expect(relativeError(await e.read(binary(e, 'mul', aT, bT)), Array.from(a, (v, i) => v * b[i % D]))).toBeLessThan(TOL);
    const gT = e.upload(g, [rows, D], 'activations', 'g');
    expect(relativeError(await e.read(binary(e, 'mulSilu', aT, gT)), Array.from(a, (v, i) => v * silu(g[i])))).toBeLessThan(TOL);
  });

  it('covers more values than one dispatch dimension of workgroups allows (2-D grid)', async () => {
    const e = await testEngine();
    const n = 65535 * 256 + 1001; // one more row of workgroups than fits in x
    const x = uniformArray(n, 9, -3, 3);
    const got = await e.read(unary(e, 'sigmoid', e.upload(x, [n], 'activations', 'x')));
    for (const i of [0, 1, 65535 * 256 - 1, 65535 * 256, n - 1]) expect(got[i]).toBeCloseTo(sigmoid(x[i]), 5);
    expect(relativeError(got, Array.from(x, sigmoid))).toBeLessThan(TOL);
  });
});

describe('rmsnorm and embedding', () => {
  for (const [rows, D] of [
    [1, 1],
    [3, 7],
    [5, 257],
    [64, 768],
  ]) {
    it(`rmsnorm rows=${rows} D=${D}`, async () => {
      const e = await testEngine();
      const x = normalArray(rows * D, rows + D);
      const w = uniformArray(D, D, 0.5, 1.5);
      const got = await e.read(rmsnorm(e, e.upload(x, [rows, D], 'activations', 'x'), e.upload(w, [D], 'weights', 'w'), 1e-5));
      expect(relativeError(got, rmsnormRef(x, w, D, 1e-5))).toBeLessThan(TOL);
    });
  }

  it('embedding gathers rows of the table', async () => {
    const e = await testEngine();
    const [vocab, D] = [101, 19];
    const table = normalArray(vocab * D, 3);
    const ids = [0, 100, 5, 5, 42, 7, 99];
    const got = await e.read(embedding(e, e.uploadU32(ids, [ids.length], 'activations', 'ids'), e.upload(table, [vocab, D], 'weights', 'table')));
    expect(relativeError(got, embeddingRef(ids, table, D))).toBeLessThan(TOL);
  });
});

describe('engine limits and accounting', () => {
  it('refuses a buffer over maxBufferSize before creating it, with the numbers', async () => {
    const e = await testEngine();
    const before = e.memory().live.total;
    const tooMany = Math.floor(e.report.limits.maxBufferSize / 4) + 1;
    expect(() => e.tensor([tooMany], 'activations', 'huge')).toThrow(GpuLimitError);
    expect(() => e.tensor([tooMany], 'activations', 'huge')).toThrow(/huge.*exceeds this GPU's max(Buffer|StorageBufferBinding)Size/);
    expect(e.memory().live.total).toBe(before);
  });

  it('counts live and peak bytes per category', async () => {
    const e = await testEngine();
    e.alloc.resetPeak();
    const base = e.memory().live;
    const w = e.tensor([1000], 'weights', 'w');
    const c = e.tensor([10, 10], 'cache', 'kv');
    let m = e.memory();
    expect(m.live.weights - base.weights).toBe(4000);
    expect(m.live.cache - base.cache).toBe(400);
    c.release();
    c.release();
    m = e.memory();
    expect(m.live.cache - base.cache).toBe(0);
    expect(m.peak.cache - base.cache).toBe(400);
    expect(m.peak.total - base.total).toBe(4400);
    w.release();
  });

  it('reuses released buffers of any size (not counted as live) up to the peak live bytes, never weights; trimPool frees them', async () => {
    const e = await testEngine();
    const a = e.tensor([1000], 'activations', 'a');
    const buffer = a.buffer;
    const liveBefore = e.memory().live.total;
    a.release();
    expect(e.memory().live.total).toBe(liveBefore - 4000);
    expect(e.memory().pooled).toBeGreaterThanOrEqual(4000);
    const b = e.tensor([1000], 'cache', 'b');
    expect(b.buffer).toBe(buffer);
    expect(e.memory().live.cache).toBeGreaterThanOrEqual(4000);
    // A reused buffer holds what is written into it now, not the old contents.
    e.write(b, new Float32Array(1000).fill(3));
    expect((await e.read(b))[999]).toBe(3);
    b.release();
    // A large intermediate (a forward pass's activations) comes back for the next forward of that size.
    const bigElements = (4 << 20) / 4 + 1;
    const big = e.tensor([bigElements], 'activations', 'big');
    const bigBuffer = big.buffer;
    big.release();
    const again = e.tensor([bigElements], 'scratch', 'again');
    expect(again.buffer).toBe(bigBuffer);
    again.release();
    // Weights are not kept: releasing them means their model is gone.
    const w = e.tensor([1000], 'weights', 'w');
    const pooled = e.memory().pooled;
    w.release();
    expect(e.memory().pooled).toBe(pooled);
    // The pool holds at most the peak live bytes since resetPeak (or 64 MiB).
    e.alloc.trimPool();
    expect(e.memory().pooled).toBe(0);
    e.alloc.resetPeak();
    const hugeBytes = e.memory().live.total + (80 << 20);
    const huge = e.tensor([hugeBytes / 4], 'activations', 'huge');
    huge.release();
    expect(e.memory().pooled).toBe(hugeBytes);
    // A new measurement window whose peak is what is live now (less than the pool holds): a buffer the
    // pool cannot supply makes it give back what exceeds the bound, and the released buffer then fits.
    e.alloc.resetPeak();
    const room = Math.max(64 << 20, e.memory().live.total + (8 << 20));
    expect(hugeBytes).toBeGreaterThan(room);
    const small = e.tensor([(8 << 20) / 4], 'activations', 'small');
    expect(e.memory().pooled).toBe(0);
    small.release();
    expect(e.memory().pooled).toBe(8 << 20);
    e.alloc.trimPool();
    expect(e.memory().pooled).toBe(0);
  });

  it('reuses a buffer released within a batch for later dispatches of that batch, and the results are those of separate buffers', async () => {
    const e = await testEngine();
    e.alloc.trimPool();
    const n = 1000;
    const xs = normalArray(n, 41);
    const x = e.upload(xs, [n], 'activations', 'x');
    // A chain of 12 steps in one batch, each releasing its input: t(k+1) = t(k) + x.
    let t = unary(e, 'copy', x);
    const firstBuffer = t.buffer;
    const buffers = new Set<GPUBuffer>([t.buffer]);
    const baseLive = e.memory().live.total;
    for (let k = 0; k < 12; k++) {
      const next = binary(e, 'add', t, x);
      t.release();
      t = next;
      buffers.add(t.buffer);
      // Live bytes plus pooled ones: x, the current tensor and the one just released, not 13 tensors.
      expect(e.memory().live.total + e.memory().pooled).toBeLessThanOrEqual(baseLive + 2 * n * 4);
    }
    expect(e.pendingDispatches).toBe(13);
    expect(buffers.size).toBe(2);
    expect(buffers.has(firstBuffer)).toBe(true);
    const got = await e.read(t);
    expect(relativeError(got, xs.map((v) => 13 * v))).toBeLessThan(1e-6);
    t.release();
    x.release();
  });

  it('never hands a buffer that unsubmitted dispatches bind to an upload, and submits first when one is written from the host', async () => {
    const e = await testEngine();
    e.alloc.trimPool();
    const n = 500;
    const xs = uniformArray(n, 42, 1, 2);
    const x = e.upload(xs, [n], 'activations', 'x');
    const a = unary(e, 'copy', x);
    const aBuffer = a.buffer;
    const b = unary(e, 'exp', a); // reads a's buffer in this batch
    a.release();
    // An upload of a's size lands before the batch runs, so it must not take a's buffer.
    const up = e.upload(new Float32Array(n).fill(-1), [n], 'activations', 'up');
    expect(up.buffer).not.toBe(aBuffer);
    // A tensor made for a later dispatch may take it; writing it from the host submits the batch first.
    const c = e.tensor([n], 'activations', 'c');
    expect(c.buffer).toBe(aBuffer);
    expect(e.pendingDispatches).toBe(2);
    e.write(c, new Float32Array(n).fill(7));
    expect(e.pendingDispatches).toBe(0);
    expect(relativeError(await e.read(b), xs.map(Math.exp))).toBeLessThan(1e-6);
    expect((await e.read(c))[n - 1]).toBe(7);
    expect((await e.read(up))[0]).toBe(-1);
    for (const t of [x, b, c, up]) t.release();
  });

  it('keeps a buffer that a recorded copy reads out of reuse until the submit, and refuses to bind a released tensor', async () => {
    const e = await testEngine();
    e.alloc.trimPool();
    const n = 256;
    const xs = normalArray(n, 43);
    const x = e.upload(xs, [n], 'activations', 'x');
    const saved = e.tensor([n], 'activations', 'saved');
    const a = unary(e, 'copy', x);
    e.copyAfterDispatches(a, 0, saved, 0, n * 4);
    const aBuffer = a.buffer;
    a.release();
    const other = unary(e, 'exp', x); // a dispatch after the release: must not write into the copy's source
    expect(other.buffer).not.toBe(aBuffer);
    expect(() => unary(e, 'copy', a)).toThrow(/copy\(n=256\): @binding\(1\) \(copy\.out\) is a released tensor's buffer/);
    expect(relativeError(await e.read(saved), xs)).toBeLessThan(1e-7);
    for (const t of [x, saved, other]) t.release();
  });

  it('rejects a dispatch over the per-dimension workgroup limit by name', async () => {
    const e = await testEngine();
    const p = e.pipeline('elementwise:copy-test', () => ({ code: '@compute @workgroup_size(1) fn main() {}' }));
    expect(() => e.dispatch('copy-test(n=huge)', p, [], [70_000])).toThrow(/copy-test.*70000 workgroups.*65535/);
  });

  it('reports a WebGPU validation error naming the kernel', async () => {
    const e = await testEngine();
    // A storage binding that the shader declares read_write bound twice: invalid aliasing.
    const t = e.tensor([16], 'scratch', 't');
    const p = e.pipeline('alias-test', () => ({
      code: '@group(0) @binding(0) var<storage, read_write> a: array<f32>; @group(0) @binding(1) var<storage, read_write> b: array<f32>; @compute @workgroup_size(1) fn main() { a[0] = b[0]; }',
    }));
    e.dispatch('alias-test(n=16)', p, [t, t], [1]);
    await expect(e.sync()).rejects.toThrow(/validation error in alias-test\(n=16\)/);
    t.release();
  });
});
