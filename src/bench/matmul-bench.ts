// Matmul benchmark: naive (one invocation per output) against tiled, GFLOP/s and their ratio, measured in one
// run, with every tiled result checked against the naive one (relative error).
// Usage: npm run --silent bench:matmul -- [--small] [--tiles all|NAME,NAME] [--out FILE.json]
// --tiles also times each named tile configuration (TILE_CONFIGS) that fits the device, besides the
// automatic choice, and checks each on awkward sizes (edges, K not a multiple of 4, B not transposed).

import { createNodeEngine } from '../engine/node-gpu';
import { TILE_CONFIGS, matmul, tileFits, tileWorkgroupBytes, type TileConfigName } from '../kernels/matmul';
import { normalArray, relativeError } from '../testing/random';
import { parseArgs, printTable, timeIterations, writeJson, type Timing } from './harness';

/** A tiled result counts as correct below this relative error against the naive one. */
const MAX_REL_ERR = 1e-4;

async function main() {
  const { flags, values } = parseArgs(process.argv.slice(2));
  const engine = await createNodeEngine();
  const tilesArg = values.get('tiles') ?? (flags.has('tiles') ? 'all' : '');
  const requested = (tilesArg === 'all' ? Object.keys(TILE_CONFIGS) : tilesArg.split(',').filter(Boolean)) as TileConfigName[];
  for (const t of requested) if (!(t in TILE_CONFIGS)) throw new Error(`unknown tile ${t}; known: ${Object.keys(TILE_CONFIGS).join(', ')}`);
  const tiles = requested.filter((t) => tileFits(TILE_CONFIGS[t], engine.report.limits));
  const variants: (TileConfigName | 'auto')[] = ['auto', ...tiles];
  // Square sizes, then linear-layer shapes of a model (rows × in → out).
  const shapes: [number, number, number][] = flags.has('small')
    ? [128, 256, 512].map((n) => [n, n, n] as [number, number, number])
    : [...[512, 1024, 2048, 4096].map((n) => [n, n, n] as [number, number, number]), [2048, 768, 3072], [2048, 3072, 768]];
  const rows: Record<string, string | number>[] = [];
  const points = [];
  let allCorrect = true;
  for (const [M, K, N] of shapes) {
    const a = engine.upload(normalArray(M * K, 1), [M, K], 'activations', 'a');
    const w = engine.upload(normalArray(N * K, 2), [N, K], 'weights', 'w');
    const outTiled = engine.tensor([M, N], 'activations', 'out.tiled');
    const outNaive = engine.tensor([M, N], 'activations', 'out.naive');
    const flops = 2 * M * K * N;
    const naive = await timeIterations(engine, () => matmul(engine, a, w, { transposeB: true, out: outNaive, variant: 'naive' }), { repeats: 3 });
    const ref = await engine.read(outNaive);
    const gNaive = flops / naive.msMedian / 1e6;
    const results: Record<string, { timing?: Timing; gflops?: number; relErrVsNaive?: number; error?: string }> = {};
    for (const v of variants) {
      const tile = v === 'auto' ? undefined : v;
      try {
        const timing = await timeIterations(engine, () => matmul(engine, a, w, { transposeB: true, out: outTiled, variant: 'tiled', tile }));
        const err = relativeError(await engine.read(outTiled), ref);
        const gflops = flops / timing.msMedian / 1e6;
        if (!(err < MAX_REL_ERR)) allCorrect = false;
        results[v] = { timing, gflops, relErrVsNaive: err };
        rows.push({ 'M×K×N': `${M}×${K}×${N}`, tile: v, 'ms': timing.msMedian, 'TFLOP/s': gflops / 1e3, 'vs naive': gflops / gNaive, 'rel err': err.toExponential(1) });
      } catch (e) {
        allCorrect = false;
        results[v] = { error: (e as Error).message };
        rows.push({ 'M×K×N': `${M}×${K}×${N}`, tile: v, 'ms': NaN, 'TFLOP/s': NaN, 'vs naive': NaN, 'rel err': `error: ${(e as Error).message}` });
      }
    }
    const auto = results.auto;
    points.push({ M, K, N, n: M === K && K === N ? M : undefined, flops, naive, gflopsNaive: gNaive, tiled: auto.timing, gflopsTiled: auto.gflops, speedup: auto.gflops ? auto.gflops / gNaive : undefined, relErrTiledVsNaive: auto.relErrVsNaive, tiles: results });
    [a, w, outTiled, outNaive].forEach((t) => t.release());
  }
  // Awkward sizes on the real device: partial tiles, K not a multiple of 4, B in both layouts, batched.
  const checks = [];
  const big = flags.has('small') ? 100 : 1000;
  const awkward: [number, number, number, number, boolean][] = [
    [1, big, big + 1, big - 1, true],
    [1, big, big + 1, big - 1, false],
    [2, 257, 516, 260, false],
    [3, 130, 68, 132, true],
  ];
  for (const [batch, M, K, N, tB] of awkward) {
    const a = engine.upload(normalArray(batch * M * K, 3), [batch, M, K], 'activations', 'a');
    const w = engine.upload(normalArray(N * K, 4), tB ? [N, K] : [K, N], 'weights', 'w');
    const ref = await engine.read(matmul(engine, a, w, { transposeB: tB, variant: 'naive' }));
    for (const v of variants) {
      const tile = v === 'auto' ? undefined : v;
      let err = Infinity;
      try {
        err = relativeError(await engine.read(matmul(engine, a, w, { transposeB: tB, variant: 'tiled', tile })), ref);
      } catch (e) {
        console.error(`check ${v} ${batch}×${M}×${K}×${N}: ${(e as Error).message}`);
      }
      if (!(err < MAX_REL_ERR)) allCorrect = false;
      checks.push({ batch, M, K, N, transposeB: tB, tile: v, relErrVsNaive: err });
    }
    [a, w].forEach((t) => t.release());
  }
  console.log(`matmul (Wᵀ form, fp32) on ${engine.report.vendor} ${engine.report.architecture} ${engine.report.description}${engine.report.isFallbackAdapter ? ' [fallback adapter]' : ''}`);
  printTable(rows);
  const worst = checks.reduce((m, c) => Math.max(m, c.relErrVsNaive), 0);
  console.log(`awkward-size checks: ${checks.length}, worst relative error against naive ${worst.toExponential(1)}; all correct: ${allCorrect}`);
  const tileInfo = Object.fromEntries(tiles.map((t) => [t, { ...TILE_CONFIGS[t], workgroupBytes: tileWorkgroupBytes(TILE_CONFIGS[t]) }]));
  writeJson(values.get('out'), { bench: 'matmul', adapter: engine.report, tileConfigs: tileInfo, allCorrect, points, checks });
  engine.destroy();
}

main().catch((e) => {
  console.error(`bench:matmul: ${(e as Error).message}`);
  process.exit(1);
});
