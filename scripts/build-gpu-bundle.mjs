#!/usr/bin/env node
// Bundles the headless benchmarks into .gpu/ (one ESM file each, `webgpu` left external) for the lent GPU
// machine, after packing node, Dawn and the Vulkan loader there with ../shared/gpu/pack.sh.
// Usage: node scripts/build-gpu-bundle.mjs [--no-pack] [--out-dir .gpu/NAME] [--only ENTRY[,ENTRY]]
// Then run on the GPU machine: source .gpu/boot.sh && node .gpu/bench/<name>.mjs --out $OUT/<name>.json
// (<name>: matmul-bench, scan-bench, attention-bench, sweep (the `bench` CLI), kernel (the kernel runner)).
import { existsSync, readdirSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { build } from 'vite';

if (!process.argv.includes('--no-pack') || !existsSync('.gpu/boot.sh')) {
  execSync('bash ../shared/gpu/pack.sh', { stdio: 'inherit' });
}
const argAfter = (flag) => {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const outDir = argAfter('--out-dir') ?? '.gpu/bench';
const only = argAfter('--only')?.split(',');
const all = Object.fromEntries(
  readdirSync('src/bench')
    .filter((f) => f.endsWith('.ts') && f !== 'harness.ts' && !f.endsWith('.test.ts'))
    .map((f) => [f.replace(/\.ts$/, ''), `src/bench/${f}`]),
);
all.sweep = 'src/cli/bench.ts';
all.kernel = 'src/cli/kernel.ts';
const entries = only ? Object.fromEntries(only.map((n) => [n, all[n] ?? `src/bench/${n}.ts`])) : all;
await build({
  configFile: false,
  publicDir: false,
  logLevel: 'warn',
  build: {
    ssr: true,
    outDir,
    emptyOutDir: true,
    target: 'node20',
    rollupOptions: { input: entries, external: ['webgpu'], output: { format: 'esm', entryFileNames: '[name].mjs' } },
  },
  ssr: { noExternal: true, external: ['webgpu'] },
});
console.log(`bundled ${Object.keys(entries).join(', ')} into ${outDir}/`);
