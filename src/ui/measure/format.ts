// Number formatting for readouts, axes and tooltips.
export function formatCount(n: number): string {
  const a = Math.abs(n);
  if (a >= 1e12) return `${(n / 1e12).toFixed(a >= 1e13 ? 1 : 2)}T`;
  if (a >= 1e9) return `${(n / 1e9).toFixed(a >= 1e10 ? 1 : 2)}G`;
  if (a >= 1e6) return `${(n / 1e6).toFixed(a >= 1e7 ? 1 : 2)}M`;
  if (a >= 1e3) return `${(n / 1e3).toFixed(a >= 1e4 ? 1 : 2)}k`;
  if (a >= 1) return n.toFixed(a >= 100 ? 0 : a >= 10 ? 1 : 2);
  if (a === 0) return '0';
  return n.toPrecision(2);
}

export function formatMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  if (ms >= 0.1) return `${ms.toFixed(2)} ms`;
  return `${(ms * 1000).toFixed(1)} µs`;
}

export function formatDuration(ms: number): string {
  const s = Math.ceil(ms / 1000);
  if (s < 60) return `${s} s`;
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

/**
 * How a decode point was timed, in words: a short label for tooltips and tables, and a sentence that
 * explains it. Undefined for prefill points and for results that did not record it.
 */
export function decodePathText(path: string | undefined): { label: string; explanation: string } | undefined {
  if (path === 'replay') return { label: 'replayed step', explanation: 'one greedy step captured once and replayed for every token' };
  if (path === 'step') return { label: 'recorded step', explanation: "the model's step code recorded and submitted for every token" };
  return undefined;
}

/**
 * The spread behind a measured point, for tooltips: how many samples the median is over and the fastest
 * and slowest of them. Undefined when the point carries neither.
 */
export function spreadText(p: { samples?: number; msMin?: number; msMax?: number } | undefined): string | undefined {
  if (!p) return undefined;
  const range = p.msMin !== undefined && p.msMax !== undefined ? `${formatMs(p.msMin)} to ${formatMs(p.msMax)}` : undefined;
  if (p.samples !== undefined) return `median of ${p.samples} sample${p.samples === 1 ? '' : 's'}${range ? `, ${range}` : ''}`;
  return range;
}
