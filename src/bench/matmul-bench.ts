// Matmul benchmark: naive (one invocation per output) against tiled (64×64 workgroup tiles), GFLOP/s and
// their ratio, measured in one run, with the tiled result checked against the naive one; beside them the
// fma rate WGSL reaches on this device (rate probe, same run) and, with --torch, PyTorch's fp32 matmul
// (TF32 off) from scripts/gpu/torch_reference.py run earlier in the same command, and the tiled kernel's
// inner loop through workgroup memory alone (probe), which separates its workgroup-memory cost from its
// global loads.
// Usage: npm run --silent bench:matmul -- [--small] [--torch TORCH.json] [--out FILE.json]
//        --vec4: only the tiled kernel against the vec4 kernel's shapes (rows × columns per invocation 4×4,
//        8×4, 4×8, 8×8; K-tiles of 32 and 16, prefetched or not) at 2048³, 4096³ and the whole-model shapes,
//        each vec4 row with its resident workgroups (what registers per invocation allow);
//        WEBGPU_DAWN_FLAGS as for every benchmark.
//        --weights: float32 weights against fp16 weights (storage-format.ts), each shape timed both ways in
//        one run with the kernel 'auto' picks: prefill shapes (TFLOP/s) and decode gemv shapes (one row:
//        GB/s of weight bytes read, against the copy kernel's bandwidth measured in the same run). Each on
//        wall time (one submit per call: for small shapes mostly the submit) and on GPU time (timestamps
//        around a pass of GPU_CALLS calls).

import type { Engine } from '../engine/engine';
import { createNodeEngine } from '../engine/node-gpu';
import type { Tensor } from '../engine/tensor';
import { GpuLimitError } from '../engine/errors';
import { matmul } from '../kernels/matmul';

/** The vec4 kernel's shapes: output rows × columns per invocation. */
const VEC4_SHAPES: [4 | 8, 4 | 8][] = [
  [4, 4],
  [8, 4],
  [4, 8],
  [8, 8],
];
import { matmulSmemProbe } from '../kernels/rate-probes';
import { normalArray, relativeError } from '../testing/random';
import { loadTorchBaselines, measureCopyGBs, measureRateCeilings, parseArgs, printTable, residentWorkgroups, timeIterations, writeJson } from './harness';
import { matmulRef } from '../reference/basic';
import { roundArrayToHalf } from '../engine/half';

/** Calls per timed pass for the GPU-time columns of --weights. */
const GPU_CALLS = 20;

/**
 * --weights: each shape with float32 and with fp16 weights, the kernel 'auto' picks, checked against the
 * float64 twin of the weights each form holds.
 */
async function weightFormats(engine: Engine, small: boolean, out: string | undefined): Promise<void> {
  const shapes: [string, number, number, number][] = small
    ? [['prefill 256³', 256, 256, 256], ['decode in_proj', 1, 256, 1024], ['decode lm_head', 1, 256, 4096]]
    : [
        ['prefill 4096³', 4096, 4096, 4096],
        ['prefill mamba in_proj', 8192, 768, 3072],
        ['prefill mamba out_proj', 8192, 1536, 768],
        ['prefill mlp gate|up', 8192, 768, 4096],
        ['decode mamba in_proj', 1, 768, 3072],
        ['decode mamba out_proj', 1, 1536, 768],
        ['decode lm_head (130m)', 1, 768, 50280],
        ['decode mamba-1.4b in_proj', 1, 2048, 8192],
        ['decode lm_head (1.4b)', 1, 2048, 50280],
      ];
  const copyGBs = await measureCopyGBs(engine, small ? 1 << 22 : 1 << 27);
  const rows: Record<string, string | number>[] = [];
  const points = [];
  for (const [name, M, K, N] of shapes) {
    const aHost = normalArray(M * K, 5);
    const wHost = normalArray(N * K, 6, 0.05);
    const a = engine.upload(aHost, [M, K], 'activations', 'a');
    const out = engine.tensor([M, N], 'activations', 'out');
    const forms = [] as { format: 'f32' | 'f16'; ms: number; gpuMs: number | null; weightBytes: number; relErr: number }[];
    for (const format of ['f32', 'f16'] as const) {
      const w = format === 'f16' ? engine.uploadHalf(wHost, [N, K], 'weights', 'w') : engine.upload(wHost, [N, K], 'weights', 'w');
      const t = await timeIterations(engine, () => matmul(engine, a, w, { transposeB: true, out }), { repeats: 5 });
      const gpu: number[] = [];
      for (let r = 0; r < 5; r++) {
        const b = await engine.timeBatch(() => {
          for (let i = 0; i < GPU_CALLS; i++) matmul(engine, a, w, { transposeB: true, out });
        });
        if (b.source === 'timestamp-query') gpu.push(b.ms / GPU_CALLS);
      }
      const gpuMs = gpu.length ? gpu.sort((x, y) => x - y)[Math.floor(gpu.length / 2)] : null;
      // The twin on a sample of rows (all of a decode row): the weights as this form holds them.
      const rowsChecked = Math.min(M, 4);
      const ref = matmulRef(aHost.subarray(0, rowsChecked * K), format === 'f16' ? roundArrayToHalf(wHost) : wHost, 1, rowsChecked, K, N, true);
      const relErr = relativeError((await engine.read(out)).subarray(0, rowsChecked * N), ref);
      forms.push({ format, ms: t.msMedian, gpuMs, weightBytes: w.bytes, relErr });
      w.release();
    }
    const [f32, f16] = forms;
    const flops = 2 * M * K * N;
    const decode = M === 1;
    rows.push({
      shape: name,
      M,
      K,
      N,
      'fp32 ms': f32.ms,
      'fp16 ms': f16.ms,
      'fp32/fp16 time': f32.ms / f16.ms,
      'fp32 TFLOP/s': flops / f32.ms / 1e9,
      'fp16 TFLOP/s': flops / f16.ms / 1e9,
      'fp32 GPU µs': f32.gpuMs === null ? '-' : f32.gpuMs * 1e3,
      'fp16 GPU µs': f16.gpuMs === null ? '-' : f16.gpuMs * 1e3,
      'fp32/fp16 GPU time': f32.gpuMs && f16.gpuMs ? f32.gpuMs / f16.gpuMs : '-',
      'fp32 GB/s / copy (GPU)': decode && f32.gpuMs ? f32.weightBytes / f32.gpuMs / 1e6 / copyGBs : '-',
      'fp16 GB/s / copy (GPU)': decode && f16.gpuMs ? f16.weightBytes / f16.gpuMs / 1e6 / copyGBs : '-',
      err: `${f32.relErr.toExponential(1)}/${f16.relErr.toExponential(1)}`,
    });
    points.push({ name, M, K, N, copyGBs, forms });
    [a, out].forEach((t) => t.release());
  }
  console.log(`matmul with float32 against fp16 weights ('auto' kernel) on ${engine.report.vendor} ${engine.report.description}; copy kernel ${copyGBs.toFixed(0)} GB/s in this run`);
  printTable(rows);
  writeJson(out, { bench: 'matmul-weights', adapter: engine.report, copyGBs, points });
}

/** --vec4: the vec4 kernel's shapes against the tiled kernel, with resident workgroups. */
async function vec4Shapes(engine: Engine, small: boolean, out: string | undefined): Promise<void> {
  const shapes: [string, number, number, number][] = small
    ? [['256³', 256, 256, 256], ['x_proj', 256, 512, 20]]
    : [['2048³', 2048, 2048, 2048], ['4096³', 4096, 4096, 4096], ['mamba in_proj', 8192, 768, 3072], ['mamba x_proj', 8192, 1536, 80], ['mamba out_proj', 8192, 1536, 768], ['mlp gate|up', 8192, 768, 4096]];
  const configs = VEC4_SHAPES.flatMap(([tm, tn]) => [
    { tm, tn, kTile: 32 as const, prefetch: true },
    { tm, tn, kTile: 16 as const, prefetch: true },
    { tm, tn, kTile: undefined, prefetch: false },
  ]);
  const rows: Record<string, string | number>[] = [];
  const points = [];
  for (const [name, M, K, N] of shapes) {
    const a = engine.upload(normalArray(M * K, 5), [M, K], 'activations', 'a');
    const w = engine.upload(normalArray(N * K, 6), [N, K], 'weights', 'w');
    const c = engine.tensor([M, N], 'activations', 'out');
    const flops = 2 * M * K * N;
    const tiled = await timeIterations(engine, () => matmul(engine, a, w, { transposeB: true, out: c, variant: 'tiled' }), { repeats: 3 });
    const ref = await engine.read(c);
    const tTiled = flops / tiled.msMedian / 1e9;
    for (const { tm, tn, kTile, prefetch } of configs) {
      const run = (residency?: Tensor) => matmul(engine, a, w, { transposeB: true, variant: 'tiled-vec4', rowsPerInvocation: tm, colsPerInvocation: tn, kTile, prefetch, out: c, residency });
      const shape = `${tm}×${tn}`;
      try {
        run();
      } catch (e) {
        if (!(e instanceof GpuLimitError)) throw e;
        console.error(`  ${name} ${shape} TK=${kTile}: ${e.message}`);
        continue;
      }
      const t = await timeIterations(engine, () => run(), { repeats: 3 });
      const relErr = relativeError(await engine.read(c), ref);
      const [resident] = await residentWorkgroups(engine, run);
      const tflops = flops / t.msMedian / 1e9;
      const tk = kTile ?? 'default';
      rows.push({ shape: name, M, K, N, 'tiled TFLOP/s': tTiled, 'per inv.': shape, TK: tk, prefetch: prefetch ? 'yes' : 'no', 'vec4 TFLOP/s': tflops, 'vec4/tiled': tflops / tTiled, 'resident wg': resident, err: relErr.toExponential(1) });
      points.push({ name, M, K, N, tm, tn, kTile: tk, prefetch, tflopsTiled: tTiled, tflops, residentWorkgroups: resident, relErr });
      console.error(`  ${name} ${shape} TK=${tk} prefetch=${prefetch}: ${tflops.toFixed(2)} TFLOP/s (tiled ${tTiled.toFixed(2)}), ${resident} workgroups resident at most, err ${relErr.toExponential(1)}`);
    }
    [a, w, c].forEach((t) => t.release());
  }
  console.log(`matmul, vec4 kernel shapes (fp32) on ${engine.report.vendor} ${engine.report.description}`);
  printTable(rows);
  writeJson(out, { bench: 'matmul-vec4', adapter: engine.report, points });
}

async function main() {
  const { flags, values } = parseArgs(process.argv.slice(2));
  const engine = await createNodeEngine();
  if (flags.has('weights')) {
    await weightFormats(engine, flags.has('small'), values.get('out'));
    engine.destroy();
    return;
  }
  if (flags.has('vec4')) {
    await vec4Shapes(engine, flags.has('small'), values.get('out'));
    engine.destroy();
    return;
  }
  const sizes = flags.has('small') ? [128, 256, 512] : [512, 1024, 2048, 4096];
  const torch = loadTorchBaselines(values.get('torch'));
  const ceilings = await measureRateCeilings(engine, flags.has('small'));
  // The tiled kernel's inner loop through workgroup memory alone (no global loads): with its tiles written
  // between barriers as the kernel does, and with reads only.
  const smemOut = engine.tensor([(flags.has('small') ? 8 : 132 * 8) * 256], 'scratch', 'smem-probe.out');
  const smemTflops: Record<'staged' | 'reads', number> = { staged: 0, reads: 0 };
  for (const stage of [true, false]) {
    let ops = 0;
    const t = await timeIterations(engine, () => (ops = matmulSmemProbe(engine, smemOut, flags.has('small') ? 4 : 256, stage).ops), { repeats: 3, warmup: 1 });
    smemTflops[stage ? 'staged' : 'reads'] = ops / t.msMedian / 1e9;
  }
  smemOut.release();
  const rows: Record<string, string | number>[] = [];
  const points = [];
  for (const n of sizes) {
    const a = engine.upload(normalArray(n * n, 1), [n, n], 'activations', 'a');
    const w = engine.upload(normalArray(n * n, 2), [n, n], 'weights', 'w');
    const outTiled = engine.tensor([n, n], 'activations', 'out.tiled');
    const outNaive = engine.tensor([n, n], 'activations', 'out.naive');
    const flops = 2 * n * n * n;
    const tiled = await timeIterations(engine, () => matmul(engine, a, w, { transposeB: true, out: outTiled, variant: 'tiled' }));
    const naive = await timeIterations(engine, () => matmul(engine, a, w, { transposeB: true, out: outNaive, variant: 'naive' }), { repeats: 3 });
    const naiveOut = await engine.read(outNaive);
    const err = relativeError(await engine.read(outTiled), naiveOut);
    // The vec4 tiled kernel at each of its shapes (K-tiles as the device allows), checked against naive too.
    const vec4Rows: { shape: string; timing: typeof tiled; tflops: number; relErr: number }[] = [];
    for (const [tm, tn] of VEC4_SHAPES) {
      const outV = engine.tensor([n, n], 'activations', 'out.vec4');
      const t = await timeIterations(engine, () => matmul(engine, a, w, { transposeB: true, variant: 'tiled-vec4', rowsPerInvocation: tm, colsPerInvocation: tn, out: outV }));
      vec4Rows.push({ shape: `${tm}×${tn}`, timing: t, tflops: flops / t.msMedian / 1e9, relErr: relativeError(await engine.read(outV), naiveOut) });
      outV.release();
    }
    const gTiled = flops / tiled.msMedian / 1e6;
    const gNaive = flops / naive.msMedian / 1e6;
    const torchTflops = torch.get(`matmul fp32 ${n}^3 (tf32 off)`)?.TFLOPs ?? null;
    rows.push({
      'M=K=N': n,
      'naive ms': naive.msMedian,
      'tiled ms': tiled.msMedian,
      'naive GFLOP/s': gNaive,
      'tiled GFLOP/s': gTiled,
      'tiled/naive': gTiled / gNaive,
      'tiled/fma probe': gTiled / 1e3 / ceilings.fmaTflops,
      'PyTorch TFLOP/s': torchTflops ?? '-',
      'tiled/PyTorch': torchTflops ? gTiled / 1e3 / torchTflops : '-',
      'rel err': err.toExponential(1),
      ...Object.fromEntries(vec4Rows.flatMap((v) => [[`vec4 ${v.shape} GFLOP/s`, v.tflops * 1e3], [`vec4 ${v.shape}/PyTorch`, torchTflops ? v.tflops / torchTflops : '-'], [`vec4 ${v.shape} err`, v.relErr.toExponential(1)]])),
    });
    points.push({ n, flops, naive, tiled, gflopsNaive: gNaive, gflopsTiled: gTiled, speedup: gTiled / gNaive, fractionOfFmaProbe: gTiled / 1e3 / ceilings.fmaTflops, torchTflops, ratioToTorch: torchTflops ? gTiled / 1e3 / torchTflops : null, relErrTiledVsNaive: err, vec4: vec4Rows });
    [a, w, outTiled, outNaive].forEach((t) => t.release());
  }
  // Whole-model prefill shapes (the same-size family at L = 8192 tokens: Mamba in_proj, x_proj, out_proj;
  // attention q|k|v; the MLP's gate|up): the tiled kernel against the vec4 kernel at each of its shapes.
  const shapeRows: Record<string, string | number>[] = [];
  const shapePoints = [];
  const shapes: [string, number, number, number][] = flags.has('small')
    ? [['in_proj', 256, 64, 256], ['x_proj', 256, 128, 20]]
    : [['mamba in_proj', 8192, 768, 3072], ['mamba x_proj', 8192, 1536, 80], ['mamba out_proj', 8192, 1536, 768], ['attention q|k|v', 8192, 768, 2304], ['mlp gate|up', 8192, 768, 4096]];
  for (const [name, M, K, N] of shapes) {
    const a = engine.upload(normalArray(M * K, 5), [M, K], 'activations', 'a');
    const w = engine.upload(normalArray(N * K, 6), [N, K], 'weights', 'w');
    const out = engine.tensor([M, N], 'activations', 'out');
    const flops = 2 * M * K * N;
    const tiled = await timeIterations(engine, () => matmul(engine, a, w, { transposeB: true, out, variant: 'tiled' }), { repeats: 3 });
    const ref = await engine.read(out);
    const v: Record<string, { tflops: number; relErr: number }> = {};
    for (const [tm, tn] of VEC4_SHAPES) {
      const t = await timeIterations(engine, () => matmul(engine, a, w, { transposeB: true, variant: 'tiled-vec4', rowsPerInvocation: tm, colsPerInvocation: tn, out }), { repeats: 3 });
      v[`${tm}×${tn}`] = { tflops: flops / t.msMedian / 1e9, relErr: relativeError(await engine.read(out), ref) };
    }
    const tTiled = flops / tiled.msMedian / 1e9;
    const relErr = Math.max(...Object.values(v).map((x) => x.relErr));
    shapeRows.push({ shape: name, M, K, N, 'tiled TFLOP/s': tTiled, ...Object.fromEntries(Object.entries(v).map(([k, x]) => [`vec4 ${k}`, x.tflops])), ...Object.fromEntries(Object.entries(v).map(([k, x]) => [`${k}/tiled`, x.tflops / tTiled])), err: relErr.toExponential(1) });
    shapePoints.push({ name, M, K, N, tflopsTiled: tTiled, tflopsVec4: Object.fromEntries(Object.entries(v).map(([k, x]) => [k, x.tflops])), relErr });
    [a, w, out].forEach((t) => t.release());
  }
  console.log(`matmul (Wᵀ form, fp32) on ${engine.report.vendor} ${engine.report.architecture} ${engine.report.description}${engine.report.isFallbackAdapter ? ' [fallback adapter]' : ''}`);
  console.log(`rate probes in this run: fma ${(ceilings.fmaTflops * 1e3).toPrecision(4)} GFLOP/s, exp2 ${ceilings.exp2Gops.toPrecision(4)} G/s`);
  console.log(`the tiled kernel's workgroup-memory inner loop without global loads: ${(smemTflops.staged * 1e3).toPrecision(4)} GFLOP/s with its tile stores and barriers, ${(smemTflops.reads * 1e3).toPrecision(4)} GFLOP/s reads only`);
  printTable(rows);
  console.log('\nwhole-model prefill shapes (TFLOP/s)');
  printTable(shapeRows);
  writeJson(values.get('out'), { bench: 'matmul', adapter: engine.report, ceilings, smemProbeTflops: smemTflops, points, modelShapes: shapePoints });
  engine.destroy();
}

main().catch((e) => {
  console.error(`bench:matmul: ${(e as Error).message}`);
  process.exit(1);
});
