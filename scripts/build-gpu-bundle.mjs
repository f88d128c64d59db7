#!/usr/bin/env node
// Bundles the headless benchmarks into .gpu/ (one ESM file each, `webgpu` left external) for the lent GPU
// machine, after packing node, Dawn and the Vulkan loader there with ../shared/gpu/pack.sh.
// Usage: node scripts/build-gpu-bundle.mjs [--no-pack]
// Then run on the GPU machine: source .gpu/boot.sh && node .gpu/bench/<name>.mjs --out $OUT/<name>.json
// (<name>: matmul-bench, scan-bench, attention-bench, sweep (the `bench` CLI), kernel (the kernel runner)).
import { existsSync, readdirSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { build } from 'vite';

if (!process.argv.includes('--no-pack') || !existsSync('.gpu/boot.sh')) {
  execSync('bash ../shared/gpu/pack.sh', { stdio: 'inherit' });
}
const entries = Object.fromEntries(
  readdirSync('src/bench')
    .filter((f) => f.endsWith('.ts') && f !== 'harness.ts' && !f.endsWith('.test.ts'))
    .map((f) => [f.replace(/\.ts$/, ''), `src/bench/${f}`]),
);
entries.sweep = 'src/cli/bench.ts';
entries.kernel = 'src/cli/kernel.ts';
await build({
  configFile: false,
  publicDir: false,
  logLevel: 'warn',
  build: {
    ssr: true,
    outDir: '.gpu/bench',
    emptyOutDir: true,
    target: 'node20',
    rollupOptions: { input: entries, external: ['webgpu'], output: { format: 'esm', entryFileNames: '[name].mjs' } },
  },
  ssr: { noExternal: true, external: ['webgpu'] },
});
console.log(`bundled ${Object.keys(entries).join(', ')} into .gpu/bench/`);
