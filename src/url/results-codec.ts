// Measured results attached to a share link (the `r=` field): the points of a sweep, packed as compact
// arrays, deflated (CompressionStream, 'deflate-raw') and written base64url. The cost model's figures are
// not carried: the reader recomputes them from the link's comparison. No UI imports; runs in Node too.
//
// Packed point: [modelIndex, mode (0 prefill, 1 decode), seqLen, batch, status (0 ok, 1 skipped, 2 failed),
//   msMedian, msMin, msMax, tokensPerSecond, weights, activations, cache, scratch, peakTotal, dispatches,
//   decodePath (decode points: 0 recorded step, 1 replayed step; null for prefill; left out when neither
//   it nor samples is known), samples (timed samples behind msMedian; left out when not known)]
// Links written before decodePath or samples were carried end every point earlier (read as not known);
// readers that predate them ignore the trailing elements, so the format stays 1.

import type { Comparison } from '../model/config';
import { costModel, decodeStateBytes } from '../model/cost-model';
import type { BytesByKind, SweepPoint, SweepResults } from '../measure/sweep';

/** Links with attached results stay under this many characters in all. */
export const MAX_LINK_CHARS = 8000;

const FORMAT = 1;

function toBase64Url(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error('it holds characters outside base64url');
  const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

async function pipe(bytes: Uint8Array, stream: CompressionStream | DecompressionStream, limit = 4 << 20): Promise<Uint8Array> {
  const out = new Response(new Blob([bytes as BlobPart]).stream().pipeThrough(stream));
  const buf = new Uint8Array(await out.arrayBuffer());
  if (buf.length > limit) throw new Error('it expands beyond a sensible size');
  return buf;
}

/** decodePath by its packed code. */
const DECODE_PATHS = ['step', 'replay'] as const;

const round = (v: number | undefined) => (v === undefined ? null : Number(v.toPrecision(4)));

export async function packResults(results: SweepResults): Promise<string> {
  const points = results.points.map((p) => {
    const m = p.measuredBytes;
    const path = p.mode === 'decode' && p.decodePath ? DECODE_PATHS.indexOf(p.decodePath) : -1;
    return [p.modelIndex, p.mode === 'prefill' ? 0 : 1, p.seqLen, p.batch, p.status === 'ok' ? 0 : p.status === 'skipped' ? 1 : 2, round(p.msMedian), round(p.msMin), round(p.msMax), round(p.tokensPerSecond), m?.weights ?? null, m?.activations ?? null, m?.cache ?? null, m?.scratch ?? null, m?.peakTotal ?? null, p.dispatches ?? null, ...(p.samples !== undefined ? [path >= 0 ? path : null, p.samples] : path >= 0 ? [path] : [])];
  });
  const adapter = results.adapter as { vendor?: string; description?: string; architecture?: string };
  const cpu = results.points.some((p) => p.device === 'cpu');
  const json = JSON.stringify({ f: FORMAT, a: `${adapter.vendor ?? ''} ${adapter.architecture ?? ''} ${adapter.description ?? ''}`.trim().slice(0, 120), c: cpu ? 1 : 0, t: results.startedAt, p: points });
  return toBase64Url(await pipe(new TextEncoder().encode(json), new CompressionStream('deflate-raw')));
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);

/** Reads attached results against the link's comparison; throws an Error saying what is wrong. */
export async function unpackResults(text: string, comparison: Comparison): Promise<SweepResults> {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(await pipe(fromBase64Url(text), new DecompressionStream('deflate-raw'))));
  } catch (e) {
    throw new Error(`the attached results could not be read (${(e as Error).message})`);
  }
  const r = raw as { f?: unknown; a?: unknown; c?: unknown; t?: unknown; p?: unknown };
  if (r.f !== FORMAT || !Array.isArray(r.p)) throw new Error('the attached results are in an unknown format');
  const cpu = r.c === 1;
  const points: SweepPoint[] = [];
  for (const entry of r.p) {
    if (!Array.isArray(entry)) continue;
    const [mi, mode, seqLen, batch, status, ms, msMin, msMax, tps, w, act, cache, scratch, peak, dispatches, path, samples] = entry as unknown[];
    const model = typeof mi === 'number' ? comparison.models[mi] : undefined;
    if (!model || (mode !== 0 && mode !== 1) || !num(seqLen) || !Number.isInteger(seqLen) || !num(batch)) continue;
    const m = mode === 0 ? 'prefill' : 'decode';
    const L = seqLen as number;
    const B = batch as number;
    const c = costModel(model, { seqLen: L, batch: B, mode: m });
    const stateBytes = m === 'decode' ? decodeStateBytes(model, B, L) : 0;
    const analyticBytes: BytesByKind = { weights: c.bytes.weights, activations: c.bytes.activations, cache: stateBytes, scratch: c.bytes.scratch, peakTotal: c.bytes.weights + c.bytes.activations + stateBytes + c.bytes.scratch };
    const measured = num(peak) !== undefined ? { weights: num(w) ?? 0, activations: num(act) ?? 0, cache: num(cache) ?? 0, scratch: num(scratch) ?? 0, peakTotal: num(peak)! } : undefined;
    points.push({
      model: model.name,
      modelIndex: mi as number,
      mode: m,
      seqLen: L,
      batch: B,
      status: status === 0 ? 'ok' : status === 1 ? 'skipped' : 'failed',
      reason: status === 0 ? undefined : 'not measured (from a shared link)',
      msMedian: num(ms),
      msMin: num(msMin),
      msMax: num(msMax),
      samples: Number.isInteger(samples) && (samples as number) > 0 ? (samples as number) : undefined,
      tokensPerSecond: num(tps),
      dispatches: num(dispatches),
      decodePath: m === 'decode' && (path === 0 || path === 1) ? DECODE_PATHS[path] : undefined,
      measuredBytes: measured,
      analyticBytes,
      device: cpu ? 'cpu' : 'gpu',
    });
  }
  const description = typeof r.a === 'string' ? r.a.replace(/[\u0000-\u001f<>]/g, '').slice(0, 120) : 'unknown';
  return { adapter: cpu ? { vendor: 'cpu', description } : { vendor: 'shared link', description }, config: comparison, startedAt: typeof r.t === 'string' ? r.t.slice(0, 40) : '', points } as SweepResults;
}
