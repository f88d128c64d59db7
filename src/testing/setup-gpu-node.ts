// Setup for the gpu-node tier: WebGPU in Node through the `webgpu` package (SwiftShader when no GPU).
import { nodeGpu } from '../engine/node-gpu';

globalThis.__HP_TEST_GPU__ = await nodeGpu({ quiet: true });
