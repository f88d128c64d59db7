// WebGPU in Node through the `webgpu` package (Dawn, Chrome's implementation). Node only: the page uses
// navigator.gpu. When Dawn finds no adapter and Debian's Chromium ships its SwiftShader Vulkan driver
// (a CPU implementation), it is used instead, and stderr says so.

import { existsSync } from 'node:fs';
import { Engine, type EngineOptions } from './engine';
import { WebGpuUnavailableError } from './errors';

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

let cached: Promise<GPU> | null = null;

/**
 * Dawn features Node's engines always turn off: timestamp_quantization, which rounds GPU timestamps to
 * multiples of 65.536 µs (as Chrome does, to limit timer precision on the web). Benchmarks time single
 * decode steps of 0.6-1 ms with timestamps; rounded, they moved in steps of 7-10%.
 */
const NODE_DISABLED_FEATURES = ['timestamp_quantization'];

/**
 * Dawn flags passed to the `webgpu` package's create(): those from the environment variable
 * WEBGPU_DAWN_FLAGS (space-separated; e.g. `enable-dawn-features=disable_robustness` to measure what
 * Dawn's bounds clamps cost, which Chrome always applies), with NODE_DISABLED_FEATURES added to its
 * disable-dawn-features list.
 */
export function dawnFlags(): string[] {
  const env = (process.env.WEBGPU_DAWN_FLAGS ?? '').split(/\s+/).filter(Boolean);
  const prefix = 'disable-dawn-features=';
  const disabled = env.filter((f) => f.startsWith(prefix)).flatMap((f) => f.slice(prefix.length).split(',').filter(Boolean));
  return [...env.filter((f) => !f.startsWith(prefix)), prefix + [...new Set([...NODE_DISABLED_FEATURES, ...disabled])].join(',')];
}

/** The `GPU` object for Node, with WebGPU's globals (GPUBufferUsage, GPUMapMode, ...) installed. */
export function nodeGpu(opts: { quiet?: boolean } = {}): Promise<GPU> {
  cached ??= findGpu(opts.quiet ?? false);
  return cached;
}

async function findGpu(quiet: boolean): Promise<GPU> {
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  let mod: { create: (o: string[]) => GPU; globals: object };
  try {
    mod = (await import('webgpu')) as unknown as typeof mod;
  } catch (e) {
    throw new WebGpuUnavailableError(`The 'webgpu' package could not be loaded (${(e as Error).message}). Run npm install.`);
  }
  Object.assign(globalThis, mod.globals);
  const flags = dawnFlags();
  if (process.env.WEBGPU_DAWN_FLAGS && !quiet) process.stderr.write(`webgpu: Dawn flags ${flags.join(' ')}\n`);
  const first = mod.create(flags);
  if (await first.requestAdapter()) return first;
  if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    const second = mod.create(flags);
    if (await second.requestAdapter()) {
      if (!quiet) process.stderr.write(`webgpu: no GPU adapter found; using Chromium's SwiftShader (CPU) Vulkan driver from ${SWIFTSHADER_ICD}\n`);
      return second;
    }
  }
  throw new WebGpuUnavailableError(
    'No WebGPU adapter in Node. On a machine without a GPU, install a software Vulkan driver: on Debian, ' +
      '`apt-get install chromium libvulkan1` (SwiftShader ships with Chromium and is used automatically). ' +
      'On a machine with a GPU, install its Vulkan driver and the Vulkan loader (libvulkan1).',
  );
}

export async function createNodeEngine(options: EngineOptions & { quiet?: boolean } = {}): Promise<Engine> {
  return Engine.create(await nodeGpu({ quiet: options.quiet }), options);
}
