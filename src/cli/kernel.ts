// Kernel runner: `npm run --silent kernel -- IN.safetensors OUT.safetensors`.
// Reads the op and its attributes from IN's __metadata__, runs it on the WGSL kernels through WebGPU in
// Node, and writes the outputs (F32) to OUT. Errors go to stderr with exit code 1 (2 for usage).

import { readFileSync, writeFileSync } from 'node:fs';
import { createNodeEngine } from '../engine/node-gpu';
import { runCase } from '../runner/run-case';

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.length !== 2 || args.includes('--help')) {
    process.stderr.write('usage: npm run --silent kernel -- IN.safetensors OUT.safetensors\n');
    return 2;
  }
  const [inPath, outPath] = args;
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(inPath);
  } catch (e) {
    process.stderr.write(`kernel: cannot read ${inPath}: ${(e as Error).message}\n`);
    return 1;
  }
  const engine = await createNodeEngine();
  try {
    const out = await runCase(engine, bytes, inPath);
    writeFileSync(outPath, out);
    return 0;
  } finally {
    engine.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    process.stderr.write(`kernel: ${e.message}\n`);
    process.exit(1);
  },
);
