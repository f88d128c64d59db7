// Sweep benchmark, headless: the page's sweep runner through WebGPU in Node (the `webgpu` package).
// npm run --silent bench -- (--preset ID[,ID...] | --config FILE_OR_LINK) [--seq 256,1024,4096]
//   [--mode prefill,decode] [--batch B] [--steps N] [--repeats N] [--warmup N] [--budget-gib G] [--out results.json]
// Progress goes to stderr; a table to stdout; --out writes the same JSON as the page's export.

import { writeFileSync } from 'node:fs';
import { createNodeEngine } from '../engine/node-gpu';
import type { Comparison, SweepMode } from '../model/config';
import { comparisonFromFileOrLink, modelsFromPresets } from '../measure/load-config';
import { runSweep } from '../measure/sweep';
import { defaultComparison } from '../model/presets';
import { parseArgs, printTable } from '../bench/harness';
import { formatBytes } from '../engine/errors';

const USAGE = 'usage: npm run --silent bench -- (--preset ID[,ID...] | --config FILE_OR_LINK) [--seq 256,1024] [--mode prefill,decode] [--batch B] [--steps N] [--repeats N] [--warmup N] [--budget-gib G] [--out FILE]';

function positiveInts(flag: string, text: string): number[] {
  const xs = text.split(',').map((s) => Number(s.trim()));
  if (!xs.length || xs.some((x) => !Number.isInteger(x) || x < 1)) throw new Error(`--${flag} takes positive integers separated by commas, got '${text}'`);
  return xs;
}

async function main(): Promise<number> {
  const { flags, values } = parseArgs(process.argv.slice(2));
  if (flags.has('help')) {
    console.log(USAGE);
    return 0;
  }
  let comparison: Comparison;
  if (values.has('preset')) comparison = { ...defaultComparison(), models: modelsFromPresets(values.get('preset')!) };
  else if (values.has('config')) {
    const loaded = comparisonFromFileOrLink(values.get('config')!);
    loaded.warnings.forEach((w) => console.error(`warning: ${w}`));
    comparison = loaded.comparison;
  } else {
    console.error(USAGE);
    return 2;
  }
  const lengths = values.has('seq') ? positiveInts('seq', values.get('seq')!) : undefined;
  const modes = (values.get('mode') ?? comparison.sweep.modes.join(',')).split(',').map((m) => m.trim());
  for (const m of modes) if (m !== 'prefill' && m !== 'decode') throw new Error(`--mode takes prefill and/or decode, got '${m}'`);
  const batch = values.has('batch') ? positiveInts('batch', values.get('batch')!)[0] : undefined;
  comparison = {
    ...comparison,
    models: comparison.models.map((m) => (batch ? { ...m, batch } : m)),
    sweep: {
      ...comparison.sweep,
      modes: modes as SweepMode[],
      decodeSteps: values.has('steps') ? positiveInts('steps', values.get('steps')!)[0] : comparison.sweep.decodeSteps,
      repeats: values.has('repeats') ? positiveInts('repeats', values.get('repeats')!)[0] : comparison.sweep.repeats,
      warmup: values.has('warmup') ? Number(values.get('warmup')) : comparison.sweep.warmup,
    },
  };
  const budget = values.has('budget-gib') ? Number(values.get('budget-gib')) * 2 ** 30 : Infinity;
  const results = await runSweep(comparison, {
    getEngine: () => createNodeEngine(),
    lengths,
    memoryBudgetBytes: budget,
    onProgress: (p) => {
      if (p.done < p.total) process.stderr.write(`[${p.done + 1}/${p.total}] ${p.model} ${p.mode} L=${p.seqLen}${p.etaMs != null ? ` (about ${Math.ceil(p.etaMs / 1000)} s left)` : ''}\n`);
    },
  });
  console.log(`${results.adapter.vendor} ${results.adapter.description}`);
  printTable(
    results.points.map((p) => ({
      model: p.model,
      mode: p.mode,
      L: p.seqLen,
      B: p.batch,
      ms: p.msMedian ?? '-',
      'min-max ms': p.msMin !== undefined && p.msMax !== undefined ? `${p.msMin.toFixed(2)}-${p.msMax.toFixed(2)}` : '-',
      samples: p.samples ?? '-',
      'tokens/s': p.tokensPerSecond ?? '-',
      dispatches: p.dispatches ?? '-',
      'measured peak': p.measuredBytes ? formatBytes(p.measuredBytes.peakTotal) : '-',
      'analytic peak': formatBytes(p.analyticBytes.peakTotal),
      'cache measured': p.measuredBytes ? formatBytes(p.measuredBytes.cache) : '-',
      status: p.status === 'ok' ? 'ok' : `${p.status}: ${p.reason}`,
    })),
  );
  if (values.has('out')) {
    writeFileSync(values.get('out')!, JSON.stringify(results, null, 2));
    console.error(`wrote ${values.get('out')}`);
  }
  return results.points.some((p) => p.status === 'failed') ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(`bench: ${e.message}`);
    process.exit(1);
  },
);
