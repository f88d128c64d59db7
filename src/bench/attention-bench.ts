// Attention and GLA benchmark. Attention: flash (online softmax, no score matrix) against naive (scores
// materialized in a scratch buffer), causal, B=1, H=16, E=64, at L = 1024, 4096, 16384; TFLOP/s with causal
// FLOPs counted as 2·2·B·H·L·L·E / 2. Naive is skipped (and the table says so) where its B·H·L·L score
// buffer exceeds the device's buffer limits. Each size checks flash against naive (when run) and sampled
// rows of flash against the float64 twin. GLA: prefill tokens/s of the chunked kernels against the
// recurrent one, B=1, H=16, K=V=64 at T = 1024, 4096, 16384, plus fla's default layer shape (H=4, K=256,
// V=512) at T=4096, with chunked checked against recurrent. Random inputs, warm-up, medians of repeats.
// Decode: one query per (b, h) against a KV cache of S positions (B=1, H=16, Hkv = 16 and 4, E=64, S = 1K .. 64K),
// µs per call (20 calls per submit) and the effective bandwidth of reading the cache (2·B·Hkv·S·E·4 bytes)
// against the vec4 copy kernel's bandwidth measured in the same run, the split-K decode kernel against the
// tiled flash kernel at L = 1. Flash TFLOP/s are set beside the fma rate WGSL reaches on this device (rate
// probe, same run) and, with --torch, PyTorch's fp32 causal SDPA from scripts/gpu/torch_reference.py run
// earlier in the same command. At L = 4096 the other flash tile shapes, each with Q and V staged and direct,
// and the default with the key tiles loaded one tile ahead and with its P·V loop taking 1, 2 or 4 vec4 of
// P per step, each with its resident workgroups (an atomic counter in the kernel); --tile-shapes times them
// at every L; --diagnostics times the kernel with one part left out at a time (flashDiagnostic; wrong
// results). At every L the flash kernel with Q and V staged in workgroup memory and read straight from
// their buffers (flashOperands 'staged' and 'direct'; the default picks by length), with their resident
// workgroups.
// --decode-variants adds the decode kernel's shapes against its default; --decode-only skips flash and GLA;
// --skip-decode skips decode attention. --kv f32,f16: decode attention over a float32 and an fp16 cache
// (keys and values stored as halves), each shape timed with both in the same run. --smem-residency: how many workgroups holding 16 bytes to 48 KiB
// of workgroup memory run at once (the residency probe; what bounds the flash tiles' residency).
// Usage: node --import tsx --import ./scripts/wgsl-hooks.mjs src/bench/attention-bench.ts [--small] [--skip-gla] [--skip-decode] [--decode-only] [--kv f32,f16] [--decode-variants] [--tile-shapes] [--diagnostics] [--smem-residency] [--torch TORCH.json] [--out FILE.json]
//        (npm run --silent bench:attention -- [--small] [--torch TORCH.json] [--out FILE.json])

import { createNodeEngine } from '../engine/node-gpu';
import type { Engine } from '../engine/engine';
import type { Tensor } from '../engine/tensor';
import { attention, decodeSplit, FLASH_DIRECT_MIN_KEYS, FLASH_PV_UNROLL, flashTileConfig, headsFirst, setDecodeTuning, setFlashTilePreference, tokensFirst, type AttentionOptions, type DecodeTuning, type FlashDiagnostic, type FlashOperands, type FlashTileShape } from '../kernels/attention';
import { gla } from '../kernels/gla';
import { attentionRef } from '../reference/attention';
import { roundArrayToHalf } from '../engine/half';
import { KV_CACHE_FORMATS, type KvCacheFormat } from '../model/storage-format';
import { normalArray, relativeError, uniformArray } from '../testing/random';
import { loadTorchBaselines, measureCopyGBs, measureRateCeilings, measureWorkgroupMemoryResidency, parseArgs, printTable, residentWorkgroups, timeIterations, writeJson, type Timing } from './harness';

async function main() {
  const { flags, values } = parseArgs(process.argv.slice(2));
  const small = flags.has('small');
  const engine = await createNodeEngine();
  const limits = engine.report.limits;
  const maxScoreBytes = Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize);
  console.log(`attention and GLA (fp32) on ${engine.report.vendor} ${engine.report.architecture} ${engine.report.description}${engine.report.isFallbackAdapter ? ' [fallback adapter]' : ''}`);

  // ---------------------------------------------------------------- attention
  const [B, H, E] = small ? [1, 2, 64] : [1, 16, 64];
  const lengths = flags.has('decode-only') ? [] : small ? [128, 256] : [1024, 4096, 16384];
  const torch = loadTorchBaselines(values.get('torch'));
  const ceilings = await measureRateCeilings(engine, small);
  console.log(`rate probes in this run: fma ${(ceilings.fmaTflops * 1e3).toPrecision(4)} GFLOP/s, exp2 ${ceilings.exp2Gops.toPrecision(4)} G/s`);
  const workgroupMemory = flags.has('smem-residency') ? await measureWorkgroupMemoryResidency(engine, small) : undefined;
  if (workgroupMemory) {
    console.log('resident workgroups against the workgroup memory each holds (residency probe)');
    printTable(workgroupMemory.map((r) => ({ invocations: r.workgroupSize, 'KiB each': r.bytes / 1024, 'resident wg': r.resident, 'KiB in all': (r.bytes * r.resident) / 1024 })));
  }
  const attnRows: Record<string, string | number>[] = [];
  const attnPoints = [];
  for (const L of lengths) {
    const n = B * H * L * E;
    const qHost = normalArray(n, L + 1);
    const kHost = normalArray(n, L + 2);
    const vHost = normalArray(n, L + 3);
    const q = engine.upload(qHost, [B, H, L, E], 'activations', 'q');
    const k = engine.upload(kHost, [B, H, L, E], 'activations', 'k');
    const v = engine.upload(vHost, [B, H, L, E], 'activations', 'v');
    const outFlash = engine.tensor([B, H, L, E], 'activations', 'out.flash');
    const flops = (2 * 2 * B * H * L * L * E) / 2;
    // The operand form and tiles the default kernel takes at this length (L = S keys).
    const defaultTiles = flashTileConfig(E, limits, L >= FLASH_DIRECT_MIN_KEYS ? 'direct' : 'staged');
    // Causal attention of q, k, v into `out`, with the given options (the default kernel without any).
    const causalInto = (out: Tensor, opts: AttentionOptions = {}) => attention(engine, headsFirst(q), headsFirst(k), headsFirst(v), { causal: true, out: headsFirst(out), ...opts });
    const runFlash = () => causalInto(outFlash);
    const flash = await timeIterations(engine, runFlash, { repeats: small ? 3 : 5, warmup: small ? 1 : 2 });
    const flashOut = await engine.read(outFlash);
    // The kernel with Q and V staged in workgroup memory and read straight from their buffers
    // (flashOperands; the default takes one by length), same run, with their resident workgroups.
    const outDirect = engine.tensor([B, H, L, E], 'activations', 'out.direct');
    const runForm = (form: FlashOperands) => (residency?: Tensor) => causalInto(outDirect, { flashOperands: form, residency });
    const staged = await timeIterations(engine, () => runForm('staged')(), { repeats: small ? 3 : 5, warmup: small ? 1 : 2 });
    const direct = await timeIterations(engine, () => runForm('direct')(), { repeats: small ? 3 : 5, warmup: small ? 1 : 2 });
    const directErr = relativeError(await engine.read(outDirect), flashOut);
    const [residentStaged] = await residentWorkgroups(engine, runForm('staged'));
    const [residentDirect] = await residentWorkgroups(engine, runForm('direct'));
    outDirect.release();
    // Other tile shapes (RT row groups of TM queries, KN keys per invocation), with Q and V staged and
    // direct, and the default shape with the key tiles prefetched into registers and with 2 or 4 vec4 of P
    // per P·V step, each with its resident workgroups: at the middle length, or at every length with
    // --tile-shapes.
    const tileShapes: Record<string, number | string>[] = [];
    if (L === lengths[1] || flags.has('tile-shapes')) {
      const variants: { pref: FlashTileShape | null; prefetch: boolean; form: FlashOperands; pvu?: number }[] = [
        { pref: null, prefetch: true, form: 'direct' },
        ...[1, 2, 4].flatMap((pvu) => (['staged', 'direct'] as const).map((form) => ({ pref: null, prefetch: false, form, pvu }))),
        ...([null, [16, 2], [8, 4], [16, 8], [8, 4, 8], [16, 4, 8], [16, 2, 8], [8, 2, 8], [8, 8, 8]] as (FlashTileShape | null)[]).flatMap((pref) =>
          (['staged', 'direct'] as const).map((form) => ({ pref, prefetch: false, form })),
        ),
      ];
      for (const { pref, prefetch, form, pvu } of variants) {
        setFlashTilePreference(pref ? [pref] : null);
        const cfg = flashTileConfig(E, limits, form);
        const outAlt = engine.tensor([B, H, L, E], 'activations', 'out.alt');
        const run = (residency?: Tensor) => causalInto(outAlt, { flashPrefetch: prefetch, flashOperands: form, flashPvUnroll: pvu, residency });
        const tm = await timeIterations(engine, () => run(), { repeats: 3, warmup: 1 });
        const err = relativeError(await engine.read(outAlt), flashOut);
        const [resident] = await residentWorkgroups(engine, run);
        tileShapes.push({ L, TM: cfg?.TM ?? '-', BQ: cfg?.BQ ?? '-', BK: cfg?.BK ?? '-', WG: cfg?.WG ?? '-', operands: form, prefetch: prefetch ? 'yes' : 'no', 'P·V step': pvu ?? FLASH_PV_UNROLL[form], 'smem KiB': cfg ? cfg.storageBytes / 1024 : '-', ms: tm.msMedian, 'TFLOP/s': flops / tm.msMedian / 1e9, 'resident wg': resident, 'vs default': err.toExponential(1) });
        outAlt.release();
      }
      setFlashTilePreference(null);
      console.log(`flash tile shapes at L=${L} (default BQ=${defaultTiles?.BQ} BK=${defaultTiles?.BK} WG=${defaultTiles?.WG}: ${(flops / flash.msMedian / 1e9).toFixed(2)} TFLOP/s)`);
      printTable(tileShapes);
    }
    // Diagnostics (--diagnostics): the flash kernel in both operand forms with one part left out at a time
    // (wrong results), to see where its time goes.
    const diagnostics: Record<string, number | string>[] = [];
    if (flags.has('diagnostics')) {
      const outAlt = engine.tensor([B, H, L, E], 'activations', 'out.diag');
      for (const form of ['staged', 'direct'] as const) {
        let full = 0;
        for (const part of [undefined, 'no-scores', 'no-pv', 'no-exp', 'no-matmuls'] as (FlashDiagnostic | undefined)[]) {
          const tm = await timeIterations(engine, () => causalInto(outAlt, { flashOperands: form, flashDiagnostic: part }), { repeats: 3, warmup: 1 });
          if (!part) full = tm.msMedian;
          diagnostics.push({ L, operands: form, 'left out': part ?? '(nothing)', ms: tm.msMedian, 'of full': tm.msMedian / full });
        }
      }
      outAlt.release();
      console.log(`flash at L=${L} with one part left out (diagnostic rows: wrong results)`);
      printTable(diagnostics);
    }
    // Sampled rows against the float64 twin: row i of a causal L = S problem is one query over keys 0..i.
    let refErr = 0;
    for (const h of [0, H - 1]) {
      for (const i of [0, Math.floor(L / 2) - 1, L - 1]) {
        const at = (h * L + i) * E;
        const kv = (a: Float32Array) => a.subarray(h * L * E, (h * L + i + 1) * E);
        const ref = attentionRef(qHost.subarray(at, at + E), kv(kHost), kv(vHost), { B: 1, H: 1, Hkv: 1, L: 1, S: i + 1, E }, { causal: true });
        refErr = Math.max(refErr, relativeError(flashOut.subarray(at, at + E), ref));
      }
    }
    const scoreBytes = B * H * L * L * 4;
    let naive: Timing | null = null;
    let flashVsNaive: number | null = null;
    let naiveNote = '';
    if (scoreBytes > maxScoreBytes) {
      naiveNote = `skipped: its ${(scoreBytes / 2 ** 30).toFixed(1)} GiB score buffer exceeds this device's ${(maxScoreBytes / 2 ** 30).toFixed(1)} GiB buffer limit`;
    } else {
      const scratch = engine.tensor([B, H, L, L], 'scratch', 'naive.scores');
      const outNaive = engine.tensor([B, H, L, E], 'activations', 'out.naive');
      naive = await timeIterations(
        engine,
        () => causalInto(outNaive, { variant: 'naive', scratch }),
        { repeats: 3, warmup: 1 },
      );
      flashVsNaive = relativeError(flashOut, await engine.read(outNaive));
      [scratch, outNaive].forEach((t) => t.release());
    }
    const tfFlash = flops / flash.msMedian / 1e9;
    const torchTflops = torch.get(`sdpa causal float32 B=${B} H=${H} E=${E} L=${L}`)?.TFLOPs ?? null;
    const tfNaive = naive ? flops / naive.msMedian / 1e9 : null;
    attnRows.push({
      L,
      'flash ms': flash.msMedian,
      'flash TFLOP/s': tfFlash,
      'naive ms': naive ? naive.msMedian : 'skipped',
      'naive TFLOP/s': tfNaive ?? 'skipped',
      'flash/naive': tfNaive ? tfFlash / tfNaive : '-',
      'flash/fma probe': tfFlash / ceilings.fmaTflops,
      'PyTorch fp32 SDPA TFLOP/s': torchTflops ?? '-',
      'flash/PyTorch': torchTflops ? tfFlash / torchTflops : '-',
      'flash vs naive': flashVsNaive === null ? '-' : flashVsNaive.toExponential(1),
      'flash vs f64 rows': refErr.toExponential(1),
      'staged TFLOP/s': flops / staged.msMedian / 1e9,
      'direct TFLOP/s': flops / direct.msMedian / 1e9,
      'direct/staged': staged.msMedian / direct.msMedian,
      'resident wg (staged/direct)': `${residentStaged}/${residentDirect}`,
      'direct vs flash': directErr.toExponential(1),
    });
    attnPoints.push({ B, H, L, E, causal: true, tiles: defaultTiles, tileShapes, diagnostics, flops, flash, operands: { staged, direct, tflopsStaged: flops / staged.msMedian / 1e9, tflopsDirect: flops / direct.msMedian / 1e9, tilesDirect: flashTileConfig(E, limits, 'direct'), residentStaged, residentDirect, relErrDirectVsFlash: directErr }, naive, naiveNote: naiveNote || undefined, tflopsFlash: tfFlash, tflopsNaive: tfNaive, fractionOfFmaProbe: tfFlash / ceilings.fmaTflops, torchTflops, ratioToTorch: torchTflops ? tfFlash / torchTflops : null, relErrFlashVsNaive: flashVsNaive, relErrFlashVsFloat64Rows: refErr });
    if (naiveNote) console.log(`L=${L}: naive ${naiveNote}`);
    [q, k, v, outFlash].forEach((t) => t.release());
  }
  console.log(`\ncausal attention, B=${B} H=${H} E=${E} (FLOPs 2·2·B·H·L²·E/2)`);
  printTable(attnRows);

  // ---------------------------------------------------------------- decode
  const copyGBs = await measureCopyGBs(engine, small ? 1 << 20 : 128 << 20);
  console.log(`copy kernel in this run: ${copyGBs.toFixed(0)} GB/s`);
  const decodeRows: Record<string, string | number>[] = [];
  const decodePoints = [];
  const Hd = small ? 4 : 16;
  const cacheLengths = flags.has('skip-decode') ? [] : small ? [1000, 5000] : [1024, 4096, 16384, 65536];
  const CALLS = 20;
  const kvFormats = (values.get('kv') ?? 'f32').split(',') as KvCacheFormat[];
  for (const f of kvFormats) if (!KV_CACHE_FORMATS.includes(f)) throw new Error(`--kv: unknown format '${f}' (known: ${KV_CACHE_FORMATS.join(', ')})`);
  const combos = [Hd, Hd / 4].flatMap((Hkv) => cacheLengths.flatMap((S) => kvFormats.map((kvFormat) => [Hkv, S, kvFormat] as const)));
  for (const [Hkv, S, kvFormat] of combos) {
    const half = kvFormat === 'f16';
    const kStored = normalArray(B * Hkv * S * E, S + 11);
    const vStored = normalArray(B * Hkv * S * E, S + 12);
    // The twin reads what the cache holds: the halves of an fp16 cache.
    const kHost = half ? roundArrayToHalf(kStored) : kStored;
    const vHost = half ? roundArrayToHalf(vStored) : vStored;
    const qHost = normalArray(B * Hd * E, S + 13);
    const k = half ? engine.uploadHalf(kStored, [B, Hkv, S, E], 'cache', 'k') : engine.upload(kStored, [B, Hkv, S, E], 'cache', 'k');
    const v = half ? engine.uploadHalf(vStored, [B, Hkv, S, E], 'cache', 'v') : engine.upload(vStored, [B, Hkv, S, E], 'cache', 'v');
    const q = engine.upload(qHost, [B, 1, Hd * E], 'activations', 'q');
    const outD = engine.tensor([B, 1, Hd * E], 'activations', 'out.decode');
    const outT = engine.tensor([B, 1, Hd * E], 'activations', 'out.tiled');
    const call = (variant: 'decode' | 'flash-tiled', out: typeof outD) => () => {
      for (let c = 0; c < CALLS; c++) attention(engine, tokensFirst(q, Hd), headsFirst(k), headsFirst(v), { causal: true, variant, out: tokensFirst(out, Hd) });
    };
    const dec = await timeIterations(engine, call('decode', outD), { repeats: small ? 3 : 5, warmup: 2 });
    // GPU time of the same CALLS calls in one pass (timestamps; median of 5), free of the host's share.
    const gpuSamples: number[] = [];
    for (let r = 0; r < 5; r++) {
      const b = await engine.timeBatch(call('decode', outD));
      if (b.source === 'timestamp-query') gpuSamples.push(b.ms / CALLS);
    }
    const gpuUs = gpuSamples.length ? gpuSamples.sort((x, y) => x - y)[Math.floor(gpuSamples.length / 2)] * 1e3 : null;
    const runTiled = S <= 16384;
    const tiled = runTiled ? await timeIterations(engine, call('flash-tiled', outT), { repeats: 3, warmup: 1 }) : null;
    const got = await engine.read(outD);
    let refErr = 0;
    for (const h of [0, Hd - 1]) {
      const hk = Math.floor(h / (Hd / Hkv));
      const kv = (a: Float32Array) => a.subarray(hk * S * E, (hk + 1) * S * E);
      const ref = attentionRef(qHost.subarray(h * E, (h + 1) * E), kv(kHost), kv(vHost), { B: 1, H: 1, Hkv: 1, L: 1, S, E }, { causal: true });
      refErr = Math.max(refErr, relativeError(got.subarray(h * E, (h + 1) * E), ref));
    }
    const tiledErr = runTiled ? relativeError(got, await engine.read(outT)) : null;
    const usD = (dec.msMedian / CALLS) * 1e3;
    const usT = tiled ? (tiled.msMedian / CALLS) * 1e3 : null;
    const bytes = 2 * B * Hkv * S * E * (half ? 2 : 4);
    const gbs = bytes / (usD * 1e3);
    const { nSplit, chunk } = decodeSplit(S, B * Hkv, Hd / Hkv);
    decodeRows.push({
      H: Hd, Hkv, S, KV: kvFormat, splits: `${nSplit}×${chunk}`,
      'decode µs': usD, 'decode GB/s': gbs, 'of copy BW': gbs / copyGBs, 'GPU µs': gpuUs ?? '-', 'GPU GB/s': gpuUs ? bytes / (gpuUs * 1e3) : '-',
      'tiled µs': usT ?? 'skipped', 'decode speedup': usT ? usT / usD : '-',
      'vs tiled': tiledErr === null ? '-' : tiledErr.toExponential(1), 'vs f64 heads': refErr.toExponential(1),
    });
    decodePoints.push({ B, H: Hd, Hkv, S, E, kvFormat, callsPerIteration: CALLS, nSplit, chunk, decode: dec, tiled, usPerCallDecode: usD, gpuUsPerCallDecode: gpuUs, usPerCallTiled: usT, cacheBytes: bytes, gbPerSec: gbs, fractionOfCopy: gbs / copyGBs, relErrDecodeVsTiled: tiledErr, relErrDecodeVsFloat64Heads: refErr });
    [k, v, q, outD, outT].forEach((t) => t.release());
  }
  console.log(`\nattention decode, B=${B} E=${E}, one query per head against S cached positions (µs per call; GB/s of reading K and V)`);
  printTable(decodeRows);
  const decodeVariants = flags.has('decode-variants') ? await decodeVariantRows(engine, small, copyGBs) : undefined;
  if (flags.has('skip-gla') || flags.has('decode-only')) {
    writeJson(values.get('out'), { bench: 'attention', adapter: engine.report, ceilings, workgroupMemory, copyGBs, attention: attnPoints, decode: decodePoints, decodeVariants });
    engine.destroy();
    return;
  }

  // ---------------------------------------------------------------- GLA
  const glaShapes: [number, number, number, number][] = small
    ? [
        [2, 32, 32, 128],
        [2, 32, 32, 512],
      ]
    : [
        [16, 64, 64, 1024],
        [16, 64, 64, 4096],
        [16, 64, 64, 16384],
        [4, 256, 512, 4096],
      ];
  const glaRows: Record<string, string | number>[] = [];
  const glaPoints = [];
  for (const [Hg, K, V, T] of glaShapes) {
    const up = (w: number, seed: number, gk = false) =>
      engine.upload(gk ? uniformArray(T * Hg * w, seed, -0.2, 0) : normalArray(T * Hg * w, seed), [1, T, Hg, w], 'activations', 'x');
    const [q, k, v, gk] = [up(K, 1), up(K, 2), up(V, 3), up(K, 4, true)];
    const sC = engine.tensor([1, Hg, K, V], 'activations', 'state.chunked');
    const sR = engine.tensor([1, Hg, K, V], 'activations', 'state.recurrent');
    const oC = engine.tensor([1, T, Hg, V], 'activations', 'o.chunked');
    const oR = engine.tensor([1, T, Hg, V], 'activations', 'o.recurrent');
    const chunked = await timeIterations(engine, () => gla(engine, q, k, v, gk, { state: sC, initialState: false, variant: 'chunked', out: oC }), { repeats: small ? 3 : 5, warmup: small ? 1 : 2 });
    const recurrent = await timeIterations(engine, () => gla(engine, q, k, v, gk, { state: sR, initialState: false, variant: 'recurrent', out: oR }), { repeats: 3, warmup: 1 });
    const err = relativeError(await engine.read(oC), await engine.read(oR));
    const errState = relativeError(await engine.read(sC), await engine.read(sR));
    const tokC = T / (chunked.msMedian / 1e3);
    const tokR = T / (recurrent.msMedian / 1e3);
    glaRows.push({ H: Hg, K, V, T, 'chunked ms': chunked.msMedian, 'recurrent ms': recurrent.msMedian, 'chunked tok/s': tokC, 'recurrent tok/s': tokR, 'chunked/recurrent': tokC / tokR, 'o rel err': err.toExponential(1), 'state rel err': errState.toExponential(1) });
    glaPoints.push({ B: 1, H: Hg, K, V, T, chunked, recurrent, tokensPerSecChunked: tokC, tokensPerSecRecurrent: tokR, relErrChunkedVsRecurrent: err, relErrStateChunkedVsRecurrent: errState });
    [q, k, v, gk, sC, sR, oC, oR].forEach((t) => t.release());
  }
  console.log('\nGLA prefill, B=1 (tokens/s = T / time)');
  printTable(glaRows);
  writeJson(values.get('out'), { bench: 'attention', adapter: engine.report, ceilings, workgroupMemory, copyGBs, attention: attnPoints, decode: decodePoints, decodeVariants, gla: glaPoints });
  engine.destroy();
}

/**
 * --decode-variants: the decode kernel's shapes against its default in the same run (µs per call, 20 calls
 * per submit as above), each checked against the default's output: heads per workgroup fixed at 4 (the
 * kernel before they followed the group's size), V loads in flight per invocation, the fewest keys per
 * workgroup, workgroup size, and the workgroup count the split aims for; the default is timed again last, to
 * show the drift within a shape's rows. Shapes: the bench's heads at 1K /
 * 16K / 64K positions, 4 KV heads at 4K and 16K, and the same-size Transformer preset's attention (12
 * heads of 64) at 256, 2K and 8K.
 */
async function decodeVariantRows(engine: Engine, small: boolean, copyGBs: number) {
  const E = 64;
  const shapes = small
    ? [{ H: 4, Hkv: 4, S: 1000 }, { H: 4, Hkv: 1, S: 3000 }]
    : [{ H: 16, Hkv: 16, S: 1024 }, { H: 16, Hkv: 16, S: 16384 }, { H: 16, Hkv: 16, S: 65536 }, { H: 16, Hkv: 4, S: 4096 }, { H: 16, Hkv: 4, S: 16384 }, { H: 12, Hkv: 12, S: 256 }, { H: 12, Hkv: 12, S: 2048 }, { H: 12, Hkv: 12, S: 8192 }];
  const variants: { name: string; tuning: DecodeTuning | null }[] = [
    { name: 'default', tuning: null },
    { name: 'heads fixed at 4', tuning: { heads: 'fixed' } },
    { name: 'pvUnroll 8', tuning: { pvUnroll: 8 } },
    { name: 'minChunk 64', tuning: { minChunk: 64 } },
    { name: 'minChunk 128', tuning: { minChunk: 128 } },
    { name: 'minChunk 256', tuning: { minChunk: 256 } },
    { name: 'minChunk 512', tuning: { minChunk: 512 } },
    { name: 'target 512', tuning: { targetWorkgroups: 512 } },
    { name: 'wg 256', tuning: { workgroupSize: 256 } },
    { name: 'default (again)', tuning: null },
  ];
  const CALLS = 20;
  const rows: Record<string, string | number>[] = [];
  const points = [];
  for (const { H, Hkv, S } of shapes) {
    const k = engine.upload(normalArray(Hkv * S * E, S + 21), [1, Hkv, S, E], 'cache', 'k');
    const v = engine.upload(normalArray(Hkv * S * E, S + 22), [1, Hkv, S, E], 'cache', 'v');
    const q = engine.upload(normalArray(H * E, S + 23), [1, 1, H * E], 'activations', 'q');
    const out = engine.tensor([1, 1, H * E], 'activations', 'out.decode');
    let reference: Float32Array | null = null;
    let base = 0;
    const record = () => {
      for (let c = 0; c < CALLS; c++) attention(engine, tokensFirst(q, H), headsFirst(k), headsFirst(v), { causal: true, variant: 'decode', out: tokensFirst(out, H) });
    };
    // Untimed: the first timing of a shape ran up to 1.6x slow on an H200 (run-2026-12-02f), ahead of the rows.
    setDecodeTuning(null);
    await timeIterations(engine, record, { repeats: 2, warmup: 2 });
    for (const { name, tuning } of variants) {
      setDecodeTuning(tuning);
      const t = await timeIterations(engine, record, { repeats: small ? 3 : 5, warmup: 2 });
      const got = await engine.read(out);
      reference ??= got;
      const us = (t.msMedian / CALLS) * 1e3;
      if (!tuning && !base) base = us;
      const bytes = 2 * Hkv * S * E * 4;
      const { nSplit, chunk } = decodeSplit(S, Hkv, H / Hkv);
      rows.push({ H, Hkv, S, variant: name, splits: `${nSplit}×${chunk}`, 'µs': us, 'GB/s': bytes / (us * 1e3), 'of copy BW': bytes / (us * 1e3) / copyGBs, 'default / this': base / us, 'vs default': relativeError(got, reference).toExponential(1) });
      points.push({ H, Hkv, S, E, variant: name, tuning, nSplit, chunk, timing: t, usPerCall: us, gbPerSec: bytes / (us * 1e3) });
    }
    setDecodeTuning(null);
    [k, v, q, out].forEach((x) => x.release());
  }
  console.log('\nattention decode variants (µs per call, 20 calls per submit; each against the default in the same run)');
  printTable(rows);
  return points;
}

main().catch((e) => {
  console.error(`bench:attention: ${(e as Error).message}`);
  process.exit(1);
});
