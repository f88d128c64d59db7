// Whole-model decode, batch 1: where a token's time goes. Per model and context length: host time to
// record the step's dispatches, host time to encode and submit them, time waiting for the GPU, GPU time of
// the step's pass (timestamp-query), dispatches per token, and the round trip of an empty submit.
// Usage: npm run --silent bench:decode -- [--preset mamba,transformer] [--context 256,8192] [--steps 32] [--out FILE.json]

import { createNodeEngine } from '../engine/node-gpu';
import { GpuModel } from '../model/model';
import { presetModel, presetIds } from '../model/presets';
import { rng } from '../testing/random';
import { parseArgs, printTable, writeJson } from './harness';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const { values } = parseArgs(process.argv.slice(2));
  const presets = (values.get('preset') ?? 'mamba,transformer').split(',');
  const contexts = (values.get('context') ?? '256,8192').split(',').map(Number);
  const steps = Number(values.get('steps') ?? 32);
  const engine = await createNodeEngine();
  // Round trip of an empty submit: the floor under any "wait for the GPU".
  const empty: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now();
    engine.device.queue.submit([]);
    await engine.device.queue.onSubmittedWorkDone();
    empty.push(performance.now() - t0);
  }
  const rows: Record<string, string | number>[] = [];
  const points = [];
  for (const id of presets) {
    const config = presetModel(id);
    if (!config) throw new Error(`unknown preset '${id}' (known: ${presetIds().join(', ')})`);
    const model = await GpuModel.createSeeded(engine, config, 0);
    const r = rng(7);
    const token = () => Math.floor(r() * config.vocabSize);
    for (const context of contexts) {
      const state = model.createState(1, context + steps + 16);
      model.forward(Array.from({ length: context }, token), 1, context, { state }).release();
      await engine.sync();
      const record: number[] = [];
      const submit: number[] = [];
      const wait: number[] = [];
      const total: number[] = [];
      const gpu: number[] = [];
      let dispatches = 0;
      for (let i = 0; i < steps + 2; i++) {
        const t0 = performance.now();
        const before = engine.dispatchCount;
        const logits = model.step([token()], state);
        dispatches = engine.dispatchCount - before;
        const t1 = performance.now();
        engine.submit();
        const t2 = performance.now();
        await engine.sync();
        const t3 = performance.now();
        logits.release();
        if (i >= 2) {
          record.push(t1 - t0);
          submit.push(t2 - t1);
          wait.push(t3 - t2);
          total.push(t3 - t0);
        }
      }
      for (let i = 0; i < 8; i++) {
        let logits: { release(): void } | null = null;
        const t = await engine.timeBatch(() => {
          logits = model.step([token()], state);
        });
        (logits as { release(): void } | null)?.release();
        if (t.source === 'timestamp-query') gpu.push(t.ms);
      }
      model.releaseState(state);
      const row = {
        model: config.name,
        context,
        dispatches,
        'record ms': median(record),
        'submit ms': median(submit),
        'wait ms': median(wait),
        'step ms': median(total),
        'GPU ms': gpu.length ? median(gpu) : '-',
        'tokens/s': 1000 / median(total),
      };
      rows.push(row);
      points.push({ preset: id, context, dispatches, recordMs: median(record), submitMs: median(submit), waitMs: median(wait), stepMs: median(total), gpuMs: gpu.length ? median(gpu) : null });
    }
    model.release();
  }
  console.log(`decode, batch 1, on ${engine.report.vendor} ${engine.report.description}; empty submit round trip ${median(empty).toFixed(3)} ms`);
  printTable(rows);
  writeJson(values.get('out'), { bench: 'decode', adapter: engine.report, emptySubmitMs: median(empty), points });
  engine.destroy();
}

main().catch((e) => {
  console.error(`bench:decode: ${(e as Error).message}`);
  process.exit(1);
});
