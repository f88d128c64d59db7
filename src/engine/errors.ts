// Errors the engine raises. Each names what failed (kernel, sizes) and the limit or reason, so a user
// (or a test) can tell "this shape does not fit this GPU" from "the shader is wrong" from "the device is gone".

/** A size that cannot be created on this device, refused before any GPU call. */
export class GpuLimitError extends Error {
  override name = 'GpuLimitError';
  constructor(
    message: string,
    readonly limit: string,
    readonly requested: number,
    readonly allowed: number,
  ) {
    super(message);
  }
}

/** A validation or out-of-memory error reported by WebGPU, attributed to the kernels that ran. */
export class GpuKernelError extends Error {
  override name = 'GpuKernelError';
  constructor(
    message: string,
    readonly kind: 'validation' | 'out-of-memory' | 'internal',
    readonly kernels: string[],
  ) {
    super(message);
  }
}

/** The device was lost (driver reset, tab in background too long, destroy()). A new engine is needed. */
export class GpuDeviceLostError extends Error {
  override name = 'GpuDeviceLostError';
  constructor(
    message: string,
    readonly reason: string,
  ) {
    super(message);
  }
}

/** No WebGPU, or no adapter: says why and what still works or what to install. */
export class WebGpuUnavailableError extends Error {
  override name = 'WebGpuUnavailableError';
}

/** Input to a kernel that does not satisfy its contract (shape, missing tensor). */
export class KernelInputError extends Error {
  override name = 'KernelInputError';
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v.toFixed(0) : v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2)} ${units[u]}`;
}
