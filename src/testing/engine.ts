// The test engine: one per test file. In the gpu-node tier the setup file provides the `webgpu` package's
// GPU on globalThis; in the browser tier it is navigator.gpu (Chromium's Dawn).

import { Engine } from '../engine/engine';

declare global {
  // eslint-disable-next-line no-var
  var __HP_TEST_GPU__: GPU | undefined;
}

let engine: Promise<Engine> | null = null;

export function testEngine(): Promise<Engine> {
  engine ??= Engine.create(globalThis.__HP_TEST_GPU__ ?? (typeof navigator !== 'undefined' ? navigator.gpu : undefined));
  return engine;
}
