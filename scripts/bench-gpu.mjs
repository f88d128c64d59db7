#!/usr/bin/env node
// `npm run bench:gpu`: prepares the GPU benchmark suite for the lent GPU machine (see ../shared/gpu/):
// packs node, Dawn and the Vulkan loader into .gpu/ (once), bundles every benchmark, copies the suite
// script and the PyTorch baselines, and prints the command to run there. It does not start a machine.
import { execSync } from 'node:child_process';
import { copyFileSync, existsSync } from 'node:fs';

const pack = !existsSync('.gpu/boot.sh');
execSync(`node scripts/build-gpu-bundle.mjs ${pack ? '' : '--no-pack'}`, { stdio: 'inherit' });
copyFileSync('scripts/gpu/run-suite.sh', '.gpu/run-suite.sh');
copyFileSync('scripts/gpu/torch_reference.py', '.gpu/torch_reference.py');
console.log('\nReady. On the GPU machine (device tool, carry [".gpu"]):');
console.log('  source .gpu/boot.sh && bash .gpu/run-suite.sh $OUT');
