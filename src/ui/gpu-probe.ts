// Finds out what the user's browser offers: a WebGPU adapter with its info, limits and features, or the
// reason there is none (no navigator.gpu, not a secure context, no adapter). No React here.

import { Engine, type AdapterReport } from '../engine/engine';

export type GpuProbe =
  | { status: 'checking' }
  | { status: 'ready'; engine: Engine; report: AdapterReport }
  | { status: 'unavailable'; reason: string };

export async function probeGpu(): Promise<Exclude<GpuProbe, { status: 'checking' }>> {
  if (typeof navigator === 'undefined' || !('gpu' in navigator) || !navigator.gpu) {
    const secure = typeof window !== 'undefined' && window.isSecureContext;
    return {
      status: 'unavailable',
      reason: secure
        ? 'This browser has no WebGPU (navigator.gpu is missing). Chrome 113+ and Edge have it; in Chromium on Linux it may need --enable-unsafe-webgpu.'
        : 'WebGPU needs a secure context (https or localhost); this page was opened from an insecure origin.',
    };
  }
  try {
    const engine = await Engine.create(navigator.gpu);
    return { status: 'ready', engine, report: engine.report };
  } catch (e) {
    return { status: 'unavailable', reason: (e as Error).message };
  }
}
