// Whole-model decode, batch 1: where a token's time goes, and how many tokens per second pipelined
// decoding reaches. Per model and context length:
//   synced (latency): each token recorded, submitted and waited for (a read-back sync per token): host time
//     to record the step's dispatches, to encode and submit them, the wait for the GPU, the step in all;
//   GPU: the step's pass alone (timestamp-query);
//   pipelined (throughput): greedy decoding on the GPU (the argmax kernel feeds the next step's embedding),
//     N tokens recorded and submitted back to back with one sync at the end: tokens/s, host record and
//     submit ms per token (submit split into its phases: uniform upload, pass encoding, finish, queue.submit),
//     bind groups created per token, GPU ms of one greedy step;
//   pipelined replay (every model; attention's position fields are rewritten per replay with one uniform
//     write, counted in the replay's host time): the same greedy decoding with one step captured and
//     replayed for every token (no block or kernel code runs per token, only the captured WebGPU calls):
//     tokens/s, host ms per token (replay + submit), its phases;
//   dispatches per token (step, and greedy step with its argmax), and whether the GPU greedy tokens (and the
//   replayed ones) equal step() + host argmax for a few tokens (a check of the device's kernels, e.g. its
//   subgroup reductions).
// --profile adds, per model and context, one greedy step profiled dispatch by dispatch (each in a pass of
// its own between timestamps, median of 5): GPU µs per token by kernel, against the step's GPU time.
// --weights f32,f16 runs each model with each weight format (storage-format.ts: f16 stores the matrices as
// halves), one after the other in the same run; each row gives the model's weight bytes on the GPU.
// --kv f32,f16 likewise with each KV cache format (f16: the attention layers' keys and values as halves);
// each row gives the decode state's bytes at its context (KV cache, conv, SSM and GLA states).
// Usage: npm run --silent bench:decode -- [--preset mamba,transformer] [--context 256,8192] [--steps 32]
//          [--tokens 256] [--weights f32,f16] [--kv f32,f16] [--profile] [--out FILE.json]

import type { Engine } from '../engine/engine';
import { createNodeEngine } from '../engine/node-gpu';
import { GpuModel, type ModelState } from '../model/model';
import { presetModel, presetIds } from '../model/presets';
import { rng } from '../testing/random';
import { parseArgs, printTable, writeJson } from './harness';
import { KV_CACHE_FORMATS, WEIGHT_FORMATS, modelLabel, type KvCacheFormat, type WeightFormat } from '../model/storage-format';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

function argmaxHost(x: Float32Array): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return best;
}

/** Median GPU ms (timestamp-query) of `record` over `n` single-batch runs; null without timestamps. */
async function gpuMs(engine: Engine, n: number, record: () => void): Promise<number | null> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = await engine.timeBatch(record);
    if (t.source === 'timestamp-query') ms.push(t.ms);
  }
  return ms.length ? median(ms) : null;
}

/**
 * The WebGPU call floor: host µs per dispatch of encoding `n` dispatches of a trivial pipeline (8 storage
 * buffers + a uniform, one prebuilt bind group) as setPipeline + setBindGroup + dispatchWorkgroups, and of
 * finish + queue.submit of that pass. What the engine spends per dispatch beyond this is its own.
 */
async function callFloor(engine: Engine, n: number, reps: number): Promise<{ dispatches: number; encodeUs: number; submitUs: number }> {
  const device = engine.device;
  const code = `struct P { n: u32 }
@group(0) @binding(0) var<uniform> p: P;
${Array.from({ length: 8 }, (_, i) => `@group(0) @binding(${i + 1}) var<storage, read_write> b${i}: array<f32>;`).join('\n')}
@compute @workgroup_size(1) fn main() { if (p.n == 0xffffffffu) { ${Array.from({ length: 8 }, (_, i) => `b${i}[0] = 0.0;`).join(' ')} } }`;
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module: device.createShaderModule({ code }), entryPoint: 'main' }, label: 'call-floor' });
  const uniform = device.createBuffer({ size: 256, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  const storage = Array.from({ length: 8 }, () => device.createBuffer({ size: 256, usage: GPUBufferUsage.STORAGE }));
  const group = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [{ binding: 0, resource: { buffer: uniform } }, ...storage.map((buffer, i) => ({ binding: i + 1, resource: { buffer } }))],
  });
  const encode: number[] = [];
  const submit: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    for (let i = 0; i < n; i++) {
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, group);
      pass.dispatchWorkgroups(1);
    }
    pass.end();
    const t1 = performance.now();
    device.queue.submit([enc.finish()]);
    const t2 = performance.now();
    await device.queue.onSubmittedWorkDone();
    encode.push(((t1 - t0) * 1000) / n);
    submit.push(((t2 - t1) * 1000) / n);
  }
  uniform.destroy();
  for (const b of storage) b.destroy();
  return { dispatches: n, encodeUs: median(encode), submitUs: median(submit) };
}

/** A step's GPU time by kernel (the name before its arguments), from profileBatch. */
interface StepProfile {
  /** Sum of the dispatches' own times (µs), and the step's GPU time in one pass (µs) for comparison. */
  sumUs: number;
  stepUs: number | null;
  kernels: { kernel: string; dispatches: number; us: number; share: number }[];
}

/** Profiles `record` (one step) `runs` times; per dispatch the median, summed by kernel. Null without timestamps. */
async function profileStep(engine: Engine, runs: number, record: () => void, stepMs: number | null): Promise<StepProfile | null> {
  const samples: { kernel: string; ms: number }[][] = [];
  for (let i = 0; i < runs; i++) {
    const p = await engine.profileBatch(record);
    if (!p) return null;
    samples.push(p);
  }
  const byKernel = new Map<string, { dispatches: number; us: number }>();
  samples[0].forEach((d, i) => {
    const name = d.kernel.split('(')[0];
    const us = median(samples.map((s) => s[i].ms)) * 1000;
    const k = byKernel.get(name) ?? { dispatches: 0, us: 0 };
    k.dispatches++;
    k.us += us;
    byKernel.set(name, k);
  });
  const sumUs = [...byKernel.values()].reduce((a, k) => a + k.us, 0);
  const kernels = [...byKernel.entries()].map(([kernel, k]) => ({ kernel, dispatches: k.dispatches, us: k.us, share: k.us / sumUs })).sort((a, b) => b.us - a.us);
  return { sumUs, stepUs: stepMs === null ? null : stepMs * 1000, kernels };
}

async function main() {
  const { values, flags } = parseArgs(process.argv.slice(2));
  const presets = (values.get('preset') ?? 'mamba,transformer').split(',');
  const contexts = (values.get('context') ?? '256,8192').split(',').map(Number);
  const steps = Number(values.get('steps') ?? 32);
  const tokens = Number(values.get('tokens') ?? 256);
  const formats = (values.get('weights') ?? 'f32').split(',') as WeightFormat[];
  for (const f of formats) if (!WEIGHT_FORMATS.includes(f)) throw new Error(`--weights: unknown format '${f}' (known: ${WEIGHT_FORMATS.join(', ')})`);
  const kvFormats = (values.get('kv') ?? 'f32').split(',') as KvCacheFormat[];
  for (const f of kvFormats) if (!KV_CACHE_FORMATS.includes(f)) throw new Error(`--kv: unknown format '${f}' (known: ${KV_CACHE_FORMATS.join(', ')})`);
  const engine = await createNodeEngine();
  // Round trip of an empty submit: the floor under any "wait for the GPU".
  const empty: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now();
    engine.device.queue.submit([]);
    await engine.device.queue.onSubmittedWorkDone();
    empty.push(performance.now() - t0);
  }
  const floor = await callFloor(engine, 1000, 12);
  const profiles: { model: string; context: number; profile: StepProfile }[] = [];
  const rows: Record<string, string | number>[] = [];
  const points = [];
  const runs = presets.flatMap((id) => formats.flatMap((format) => kvFormats.map((kv) => ({ id, format, kv }))));
  for (const { id, format, kv } of runs) {
    const preset = presetModel(id);
    if (!preset) throw new Error(`unknown preset '${id}' (known: ${presetIds().join(', ')})`);
    const described = { ...preset, weightFormat: format, kvCacheFormat: kv };
    const config = { ...described, name: modelLabel(described) };
    const weightsBefore = engine.memory().live.weights;
    const model = await GpuModel.createSeeded(engine, config, 0);
    const weightBytes = engine.memory().live.weights - weightsBefore;
    const r = rng(7);
    const token = () => Math.floor(r() * config.vocabSize);
    for (const context of contexts) {
      const prompt = Array.from({ length: context }, token);
      const prefill = (extra: number): ModelState => {
        const state = model.createState(1, context + extra + 16);
        model.forward(prompt, 1, context, { state }).release();
        return state;
      };

      // Synced: one token at a time, waiting for each.
      const cacheBefore = engine.memory().live.cache;
      let state = prefill(steps + 2 + 8);
      const stateBytes = engine.memory().live.cache - cacheBefore;
      await engine.sync();
      const record: number[] = [];
      const submit: number[] = [];
      const wait: number[] = [];
      const total: number[] = [];
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
      const stepGpu = await gpuMs(engine, 8, () => model.step([token()], state).release());
      model.releaseState(state);

      // Pipelined: GPU greedy decoding, submitted back to back, one sync at the end.
      state = prefill(tokens + 4 + 8);
      const ids = engine.uploadU32([token()], [1], 'activations', 'greedy.ids');
      for (let i = 0; i < 4; i++) {
        model.stepGreedy(state, ids);
        engine.submit();
      }
      await engine.sync();
      const before = engine.dispatchCount;
      model.stepGreedy(state, ids);
      const greedyDispatches = engine.dispatchCount - before;
      engine.submit();
      await engine.sync();
      const pRecord: number[] = [];
      const pSubmit: number[] = [];
      const phases0 = { ...engine.submitHostMs };
      const bindGroups0 = engine.bindGroupsCreated;
      const start = performance.now();
      for (let i = 0; i < tokens; i++) {
        const t0 = performance.now();
        model.stepGreedy(state, ids);
        const t1 = performance.now();
        engine.submit();
        pRecord.push(t1 - t0);
        pSubmit.push(performance.now() - t1);
      }
      await engine.sync();
      const pipelinedMs = (performance.now() - start) / tokens;
      const phases = Object.fromEntries(Object.entries(engine.submitHostMs).map(([k, v]) => [k, (v - phases0[k as keyof typeof phases0]) / tokens])) as typeof phases0;
      const bindGroupsPerToken = (engine.bindGroupsCreated - bindGroups0) / tokens;
      const greedyGpu = await gpuMs(engine, 8, () => model.stepGreedy(state, ids));
      const profile = flags.has('profile') ? await profileStep(engine, 5, () => model.stepGreedy(state, ids), greedyGpu) : null;
      if (profile) profiles.push({ model: config.name, context, profile });
      ids.release();
      model.releaseState(state);

      // Pipelined replay: one greedy step captured, then replayed and submitted token after token.
      const support = model.canReplayDecode();
      let replay: {
        tokens: number;
        dispatches: number;
        msPerToken: number;
        tokensPerSecond: number;
        replayMs: number;
        submitMs: number;
        submitPhasesMs: typeof phases0;
        hostUsPerDispatch: number;
      } | null = null;
      if (support.ok) {
        state = prefill(tokens + 4 + 2);
        const rIds = engine.uploadU32([token()], [1], 'activations', 'greedy.ids');
        const captured = model.captureGreedyStep(state, rIds);
        engine.submit();
        for (let i = 0; i < 4; i++) {
          model.replayGreedyStep(captured);
          engine.submit();
        }
        await engine.sync();
        const rReplay: number[] = [];
        const rSubmit: number[] = [];
        const rPhases0 = { ...engine.submitHostMs };
        const rStart = performance.now();
        for (let i = 0; i < tokens; i++) {
          const t0 = performance.now();
          model.replayGreedyStep(captured);
          const t1 = performance.now();
          engine.submit();
          rReplay.push(t1 - t0);
          rSubmit.push(performance.now() - t1);
        }
        await engine.sync();
        const ms = (performance.now() - rStart) / tokens;
        const rPhases = Object.fromEntries(Object.entries(engine.submitHostMs).map(([k, v]) => [k, (v - rPhases0[k as keyof typeof rPhases0]) / tokens])) as typeof phases0;
        replay = {
          tokens,
          dispatches: captured.dispatches,
          msPerToken: ms,
          tokensPerSecond: 1000 / ms,
          replayMs: mean(rReplay),
          submitMs: mean(rSubmit),
          submitPhasesMs: rPhases,
          hostUsPerDispatch: ((mean(rReplay) + mean(rSubmit)) * 1000) / captured.dispatches,
        };
        captured.release();
        rIds.release();
        model.releaseState(state);
      }

      // Check: a few GPU greedy tokens against step() + host argmax from the same prefill.
      const checkSteps = 4;
      const [a, b] = [prefill(checkSteps), prefill(checkSteps)];
      let next = argmaxHost(await engine.read(model.step([prompt[context - 1]], a)));
      const first = next;
      const host: number[] = [];
      for (let i = 0; i < checkSteps - 1; i++) {
        next = argmaxHost(await engine.read(model.step([next], a)));
        host.push(next);
      }
      model.step([prompt[context - 1]], b).release();
      const gpu = (await model.generateGreedy(b, [first], checkSteps - 1))[0];
      let greedyMatches = gpu.every((t, i) => t === host[i]);
      model.releaseState(a);
      model.releaseState(b);
      let replayMatches: boolean | null = null;
      if (support.ok) {
        const c = prefill(checkSteps);
        model.step([prompt[context - 1]], c).release();
        replayMatches = (await model.generateGreedyReplay(c, [first], checkSteps - 1))[0].every((t, i) => t === host[i]);
        greedyMatches &&= replayMatches;
        model.releaseState(c);
      }

      const row = {
        model: config.name,
        'weight MB': weightBytes / 1e6,
        context,
        'state MB': stateBytes / 1e6,
        dispatches,
        'record ms': median(record),
        'submit ms': median(submit),
        'wait ms': median(wait),
        'synced ms': median(total),
        'synced tok/s': 1000 / median(total),
        'GPU ms': stepGpu ?? '-',
        'pipelined tok/s': 1000 / pipelinedMs,
        'p. record ms': mean(pRecord),
        'p. submit ms': mean(pSubmit),
        'encode/finish/queue ms': [phases.encode, phases.finish, phases.queue].map((v) => v.toFixed(3)).join('/'),
        'greedy GPU ms': greedyGpu ?? '-',
        'greedy ok': greedyMatches ? 'yes' : 'NO',
        'host µs/dispatch (rec+enc/fin+queue)': `${(((mean(pRecord) + phases.upload + phases.encode) * 1000) / greedyDispatches).toFixed(2)}/${(((phases.finish + phases.queue) * 1000) / greedyDispatches).toFixed(2)}`,
        'replay tok/s': replay ? replay.tokensPerSecond : '-',
        'r. host ms': replay ? replay.replayMs + replay.submitMs : '-',
        'r. host µs/dispatch (rep+enc/fin+queue)': replay
          ? `${(((replay.replayMs + replay.submitPhasesMs.upload + replay.submitPhasesMs.encode) * 1000) / replay.dispatches).toFixed(2)}/${(((replay.submitPhasesMs.finish + replay.submitPhasesMs.queue) * 1000) / replay.dispatches).toFixed(2)}`
          : '-',
      };
      rows.push(row);
      points.push({
        preset: id,
        weightFormat: format,
        kvCacheFormat: kv,
        weightBytes,
        context,
        stateBytes,
        dispatches,
        recordMs: median(record),
        submitMs: median(submit),
        waitMs: median(wait),
        stepMs: median(total),
        gpuMs: stepGpu,
        pipelined: {
          tokens,
          dispatches: greedyDispatches,
          msPerToken: pipelinedMs,
          tokensPerSecond: 1000 / pipelinedMs,
          recordMs: mean(pRecord),
          submitMs: mean(pSubmit),
          submitPhasesMs: phases,
          bindGroupsCreatedPerToken: bindGroupsPerToken,
          gpuMs: greedyGpu,
        },
        replay: replay ?? { unavailable: support.ok ? 'not measured' : support.reason },
        greedyMatchesHost: greedyMatches,
        replayMatchesHost: replayMatches,
        profile: profile ?? undefined,
      });
    }
    model.release();
  }
  const f = engine.report.features;
  console.log(
    `decode, batch 1, on ${engine.report.vendor} ${engine.report.description} (subgroups ${f.subgroups ? 'on' : 'off'}, timestamps ${f.timestampQuery ? 'on' : 'off'}); ` +
      `empty submit round trip ${median(empty).toFixed(3)} ms; synced: median of ${steps} tokens; pipelined: ${tokens} greedy tokens, one sync; ` +
      `replay: the same with one captured greedy step replayed per token`,
  );
  printTable(rows);
  console.log(
    `WebGPU call floor: ${floor.dispatches} dispatches of a trivial pipeline (8 storage buffers + a uniform, prebuilt bind group): ` +
      `${floor.encodeUs.toFixed(2)} µs/dispatch to encode (setPipeline + setBindGroup + dispatchWorkgroups), ${floor.submitUs.toFixed(2)} µs/dispatch for finish + queue.submit ` +
      `(compare the engine's host µs/dispatch column: record + upload + encode / finish + queue)`,
  );
  for (const { model, context, profile } of profiles) {
    console.log(
      `\n${model} at context ${context}, one greedy step by kernel (each dispatch in a pass of its own, median of 5): ` +
        `${profile.sumUs.toFixed(0)} µs in the dispatches against ${profile.stepUs === null ? '-' : profile.stepUs.toFixed(0)} µs for the step in one pass`,
    );
    printTable(profile.kernels.map((k) => ({ kernel: k.kernel, dispatches: k.dispatches, 'µs per token': k.us, 'µs per dispatch': k.us / k.dispatches, share: k.share })));
  }
  writeJson(values.get('out'), { bench: 'decode', adapter: engine.report, emptySubmitMs: median(empty), webgpuCallFloor: floor, steps, tokens, points });
  engine.destroy();
  if (points.some((p) => !p.greedyMatchesHost)) {
    console.error('bench:decode: GPU greedy (or replayed) tokens differ from step() + host argmax');
    process.exit(2);
  }
}

main().catch((e) => {
  console.error(`bench:decode: ${(e as Error).message}`);
  process.exit(1);
});
