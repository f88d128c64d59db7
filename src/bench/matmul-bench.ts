// Matmul benchmark: naive (one invocation per output) against tiled (64×64 workgroup tiles), GFLOP/s and
// their ratio, measured in one run, with the tiled result checked against the naive one; beside them the
// fma rate WGSL reaches on this device (rate probe, same run) and, with --torch, PyTorch's fp32 matmul
// (TF32 off) from scripts/gpu/torch_reference.py run earlier in the same command.
// Usage: npm run --silent bench:matmul -- [--small] [--torch TORCH.json] [--out FILE.json]

import { createNodeEngine } from '../engine/node-gpu';
import { matmul } from '../kernels/matmul';
import { matmulTiledVec4 } from '../kernels/matmul-tiled-vec4';
import { normalArray, relativeError } from '../testing/random';
import { loadTorchBaselines, measureRateCeilings, parseArgs, printTable, timeIterations, writeJson } from './harness';

async function main() {
  const { flags, values } = parseArgs(process.argv.slice(2));
  const engine = await createNodeEngine();
  const sizes = flags.has('small') ? [128, 256, 512] : [512, 1024, 2048, 4096];
  const torch = loadTorchBaselines(values.get('torch'));
  const ceilings = await measureRateCeilings(engine, flags.has('small'));
  const rows: Record<string, string | number>[] = [];
  const points = [];
  for (const n of sizes) {
    const a = engine.upload(normalArray(n * n, 1), [n, n], 'activations', 'a');
    const w = engine.upload(normalArray(n * n, 2), [n, n], 'weights', 'w');
    const outTiled = engine.tensor([n, n], 'activations', 'out.tiled');
    const outNaive = engine.tensor([n, n], 'activations', 'out.naive');
    const flops = 2 * n * n * n;
    const tiled = await timeIterations(engine, () => matmul(engine, a, w, { transposeB: true, out: outTiled }));
    const naive = await timeIterations(engine, () => matmul(engine, a, w, { transposeB: true, out: outNaive, variant: 'naive' }), { repeats: 3 });
    const naiveOut = await engine.read(outNaive);
    const err = relativeError(await engine.read(outTiled), naiveOut);
    // The vec4 tiled kernel at both tile heights, checked against naive too.
    const vec4Rows: { tm: number; timing: typeof tiled; tflops: number; relErr: number }[] = [];
    for (const tm of [4, 8] as const) {
      const outV = engine.tensor([n, n], 'activations', 'out.vec4');
      const t = await timeIterations(engine, () => matmulTiledVec4(engine, a, w, { tm, out: outV }));
      vec4Rows.push({ tm, timing: t, tflops: flops / t.msMedian / 1e9, relErr: relativeError(await engine.read(outV), naiveOut) });
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
      ...Object.fromEntries(vec4Rows.flatMap((v) => [[`vec4 TM=${v.tm} GFLOP/s`, v.tflops * 1e3], [`vec4 TM=${v.tm}/PyTorch`, torchTflops ? v.tflops / torchTflops : '-'], [`vec4 TM=${v.tm} err`, v.relErr.toExponential(1)]])),
    });
    points.push({ n, flops, naive, tiled, gflopsNaive: gNaive, gflopsTiled: gTiled, speedup: gTiled / gNaive, fractionOfFmaProbe: gTiled / 1e3 / ceilings.fmaTflops, torchTflops, ratioToTorch: torchTflops ? gTiled / 1e3 / torchTflops : null, relErrTiledVsNaive: err, vec4: vec4Rows });
    [a, w, outTiled, outNaive].forEach((t) => t.release());
  }
  console.log(`matmul (Wᵀ form, fp32) on ${engine.report.vendor} ${engine.report.architecture} ${engine.report.description}${engine.report.isFallbackAdapter ? ' [fallback adapter]' : ''}`);
  console.log(`rate probes in this run: fma ${(ceilings.fmaTflops * 1e3).toPrecision(4)} GFLOP/s, exp2 ${ceilings.exp2Gops.toPrecision(4)} G/s`);
  printTable(rows);
  writeJson(values.get('out'), { bench: 'matmul', adapter: engine.report, ceilings, points });
  engine.destroy();
}

main().catch((e) => {
  console.error(`bench:matmul: ${(e as Error).message}`);
  process.exit(1);
});
