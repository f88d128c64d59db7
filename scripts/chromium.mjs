// Where the test tiers find Chromium, and the flags that give headless Chromium WebGPU on this closed
// network (SwiftShader when there is no GPU). Set CHROMIUM_PATH to use another Chrome or Chromium.
import { existsSync } from 'node:fs';

export const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

/** @returns {string | undefined} */
export function chromiumPath() {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) return fromEnv;
  return CHROMIUM_CANDIDATES.find((p) => existsSync(p));
}

export const QUIET_FLAGS = ['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export const WEBGPU_FLAGS = ['--enable-unsafe-webgpu', ...QUIET_FLAGS];
