// End-to-end tests: Playwright drives Debian's Chromium (never a downloaded browser) against the built page
// served by `vite preview`, so the production Content-Security-Policy is in force.
import { defineConfig } from '@playwright/test';
import { chromiumPath, QUIET_FLAGS, WEBGPU_FLAGS } from './scripts/chromium.mjs';

export default defineConfig({
  testDir: 'e2e',
  timeout: 120_000,
  expect: { timeout: 20_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  use: {
    baseURL: 'http://127.0.0.1:4173',
    launchOptions: { executablePath: chromiumPath(), args: WEBGPU_FLAGS },
  },
  projects: [
    { name: 'chromium', use: { browserName: 'chromium' }, testIgnore: /no-webgpu\.spec\.ts/ },
    // Chromium as most users' browsers without a usable GPU: no --enable-unsafe-webgpu, so no adapter.
    { name: 'no-webgpu', use: { browserName: 'chromium', launchOptions: { executablePath: chromiumPath(), args: QUIET_FLAGS } }, testMatch: /no-webgpu\.spec\.ts/ },
  ],
  webServer: {
    command: 'node node_modules/vite/bin/vite.js build --logLevel warn && node node_modules/vite/bin/vite.js preview --strictPort',
    url: 'http://127.0.0.1:4173',
    reuseExistingServer: false,
    timeout: 180_000,
  },
});
