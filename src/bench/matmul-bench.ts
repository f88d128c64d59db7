// Matmul benchmark: naive (one invocation per output) against tiled (64×64 workgroup tiles), GFLOP/s and
// their ratio, measured in one run, with the tiled result checked against the naive one.
// Usage: npm run --silent bench:matmul -- [--small] [--out FILE.json]

import { createNodeEngine } from '../engine/node-gpu';
import { matmul } from '../kernels/matmul';
import { normalArray, relativeError } from '../testing/random';
import { parseArgs, printTable, timeIterations, writeJson } from './harness';

async function main() {
  const { flags, values } = parseArgs(process.argv.slice(2));
  const engine = await createNodeEngine();
  const sizes = flags.has('small') ? [128, 256, 512] : [512, 1024, 2048, 4096];
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
    const err = relativeError(await engine.read(outTiled), await engine.read(outNaive));
    const gTiled = flops / tiled.msMedian / 1e6;
    const gNaive = flops / naive.msMedian / 1e6;
    rows.push({ 'M=K=N': n, 'naive ms': naive.msMedian, 'tiled ms': tiled.msMedian, 'naive GFLOP/s': gNaive, 'tiled GFLOP/s': gTiled, 'tiled/naive': gTiled / gNaive, 'rel err': err.toExponential(1) });
    points.push({ n, flops, naive, tiled, gflopsNaive: gNaive, gflopsTiled: gTiled, speedup: gTiled / gNaive, relErrTiledVsNaive: err });
    [a, w, outTiled, outNaive].forEach((t) => t.release());
  }
  console.log(`matmul (Wᵀ form, fp32) on ${engine.report.vendor} ${engine.report.architecture} ${engine.report.description}${engine.report.isFallbackAdapter ? ' [fallback adapter]' : ''}`);
  printTable(rows);
  writeJson(values.get('out'), { bench: 'matmul', adapter: engine.report, points });
  engine.destroy();
}

main().catch((e) => {
  console.error(`bench:matmul: ${(e as Error).message}`);
  process.exit(1);
});
