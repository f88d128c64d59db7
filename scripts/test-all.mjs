#!/usr/bin/env node
// `npm test`: every tier, in order, failing if any fails:
//   typecheck (tsc -b) -> unit (Node) -> gpu-node (WGSL kernels through Dawn in Node)
//   -> browser (Vitest in headless Chromium with WebGPU) -> e2e (Playwright against the built page).
// Counts come from each runner's JSON report; the last line is "tests: N passed, N failed, N skipped".
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { chromiumPath } from './chromium.mjs';

const only = process.argv.slice(2);
const results = [];
const reports = '.test-results';
rmSync(reports, { recursive: true, force: true });
mkdirSync(reports, { recursive: true });

function run(name, cmd, args, env = {}) {
  if (only.length && !only.includes(name)) return;
  process.stdout.write(`\n=== ${name}: ${cmd} ${args.join(' ')}\n`);
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  results.push({ name, ok: r.status === 0, seconds: (Date.now() - t0) / 1000 });
}

const chromium = chromiumPath();
if (!chromium || !existsSync(chromium)) {
  console.error(
    'npm test needs Chromium for the browser and end-to-end tiers, and none was found.\n' +
      '  Debian/Ubuntu: sudo apt-get install chromium libvulkan1   (SwiftShader inside it gives WebGPU without a GPU)\n' +
      '  Elsewhere: set CHROMIUM_PATH to a Chrome or Chromium executable.',
  );
  process.exit(1);
}

const vitest = ['node_modules/vitest/vitest.mjs', 'run'];
run('typecheck', 'npx', ['tsc', '-b']);
for (const project of ['unit', 'gpu-node', 'browser']) {
  run(project, 'node', [...vitest, '--project', project, '--reporter=default', '--reporter=json', `--outputFile=${reports}/${project}.json`]);
}
run('e2e', 'npx', ['playwright', 'test', '--reporter=list,json'], { PLAYWRIGHT_JSON_OUTPUT_NAME: `${reports}/e2e.json` });

let passed = 0;
let failed = 0;
let skipped = 0;
for (const project of ['unit', 'gpu-node', 'browser']) {
  const file = `${reports}/${project}.json`;
  if (!existsSync(file)) continue;
  const j = JSON.parse(readFileSync(file, 'utf8'));
  passed += j.numPassedTests;
  failed += j.numFailedTests;
  skipped += j.numPendingTests + (j.numTodoTests ?? 0);
  if (j.numTotalTests === 0) results.push({ name: `${project} (no tests ran)`, ok: false, seconds: 0 });
}
if (existsSync(`${reports}/e2e.json`)) {
  const s = JSON.parse(readFileSync(`${reports}/e2e.json`, 'utf8')).stats ?? {};
  passed += s.expected ?? 0;
  failed += (s.unexpected ?? 0) + (s.flaky ?? 0);
  skipped += s.skipped ?? 0;
  if (!s.expected && !s.unexpected) results.push({ name: 'e2e (no tests ran)', ok: false, seconds: 0 });
}

console.log('\n=== summary');
for (const r of results) console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name.padEnd(24)} ${r.seconds.toFixed(1)} s`);
const ok = results.every((r) => r.ok);
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(ok && failed === 0 ? 0 : 1);
