// Timed repeats of one measurement (a prefill forward pass), with more taken while they disagree.
//
// A sweep point reports the median of its repeats. With a few repeats, two slow samples of three (a GPU
// that stalled, a host that was busy) make the median slow, and a chart shows a bump that another run
// does not. So after the requested repeats, while fewer than a majority of the samples lie within
// AGREE_FACTOR of the fastest, one more is taken, up to EXTRA_FACTOR times the repeats in all. A point
// that is slow on most samples stays slow: the median is over every sample taken. No UI imports.

/**
 * Samples within this factor of the fastest agree with it. Repeats of a whole-model prefill on an H200
 * spread by a few percent; at 1.5, samples of 22.1, 30.8 and 32.7 ms (Mamba at 2048 tokens,
 * run-2026-12-02f) agreed and set the median at 30.8.
 */
export const AGREE_FACTOR = 1.25;
/** At most this many times the requested repeats are taken in all. */
export const EXTRA_FACTOR = 3;

export interface RepeatTimes {
  /** Every sample taken, in order (ms). */
  samples: number[];
  msMedian: number;
  msMin: number;
  msMax: number;
}

/** The median (the upper one for an even count, as the benchmarks report it). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Whether more than half of the samples lie within AGREE_FACTOR of the fastest. */
export function samplesAgree(samples: readonly number[]): boolean {
  if (samples.length === 0) return false;
  const fastest = Math.min(...samples);
  const agreeing = samples.filter((s) => s <= fastest * AGREE_FACTOR).length;
  return agreeing * 2 > samples.length;
}

/**
 * Takes `repeats` samples of `timeOnce` (at least one), then more while they disagree, up to
 * EXTRA_FACTOR·repeats in all. `timeOnce` returns one sample in ms; it may throw (a cancel, a lost
 * device), which ends the repeats.
 */
export async function timeRepeats(timeOnce: () => Promise<number>, repeats: number): Promise<RepeatTimes> {
  const wanted = Math.max(1, Math.floor(repeats));
  const most = wanted * EXTRA_FACTOR;
  const samples: number[] = [];
  while (samples.length < wanted || (samples.length < most && !samplesAgree(samples))) {
    samples.push(await timeOnce());
  }
  return { samples, msMedian: median(samples), msMin: Math.min(...samples), msMax: Math.max(...samples) };
}
