// Timed repeats: more samples while they disagree, the median over all of them.
import { describe, expect, it } from 'vitest';
import { AGREE_FACTOR, EXTRA_FACTOR, median, samplesAgree, timeRepeats } from './repeats';

/** A timer that returns the given samples in order (and fails if asked for more). */
function scripted(times: number[]) {
  let i = 0;
  const timeOnce = async () => {
    if (i >= times.length) throw new Error(`asked for sample ${i + 1} of ${times.length}`);
    return times[i++];
  };
  return { timeOnce, taken: () => i };
}

describe('timeRepeats', () => {
  it('takes more when two of three samples are a third slower than the fastest (Mamba at 2048 tokens on an H200)', async () => {
    const t = scripted([22.05, 30.8, 32.66, 22.1, 22.3, 22.2]);
    const r = await timeRepeats(t.timeOnce, 3);
    expect(t.taken()).toBe(5);
    expect(r.msMedian).toBe(22.3);
  });

  it('takes exactly the repeats when they agree', async () => {
    const t = scripted([17.3, 17.9, 17.5, 99]);
    const r = await timeRepeats(t.timeOnce, 3);
    expect(t.taken()).toBe(3);
    expect(r).toEqual({ samples: [17.3, 17.9, 17.5], msMedian: 17.5, msMin: 17.3, msMax: 17.9 });
  });

  it('takes more while fewer than a majority lie near the fastest, so two slow repeats of three do not set the median', async () => {
    // The Jamba cell of an H200 sweep: 23.0, 83.1, 80.5 ms; later samples fast again.
    const t = scripted([23.0, 83.1, 80.5, 22.8, 23.4, 23.1]);
    const r = await timeRepeats(t.timeOnce, 3);
    expect(t.taken()).toBe(5); // 3 of 5 within AGREE_FACTOR of 22.8 after the fifth
    expect(r.msMedian).toBe(23.4);
    expect(r.msMin).toBe(22.8);
    expect(r.msMax).toBe(83.1);
  });

  it('stops at EXTRA_FACTOR times the repeats, and a point slow on most samples stays slow', async () => {
    const t = scripted([20, 80, 81, 79, 82, 80, 81, 83, 80, 20]);
    const r = await timeRepeats(t.timeOnce, 3);
    expect(t.taken()).toBe(3 * EXTRA_FACTOR);
    expect(r.samples).toHaveLength(9);
    expect(r.msMedian).toBe(80);
  });

  it('one repeat is one sample; zero or fractional repeats take at least one', async () => {
    for (const repeats of [1, 0, 0.5]) {
      const t = scripted([5, 50, 50]);
      const r = await timeRepeats(t.timeOnce, repeats);
      expect(r.samples).toEqual([5]);
    }
  });

  it('an error from the timer (a cancel) ends the repeats', async () => {
    let n = 0;
    const timeOnce = async () => {
      if (++n === 4) throw new Error('cancelled');
      return n === 1 ? 10 : 40;
    };
    await expect(timeRepeats(timeOnce, 3)).rejects.toThrow('cancelled');
  });
});

describe('samplesAgree and median', () => {
  it('agree when more than half lie within AGREE_FACTOR of the fastest', () => {
    expect(samplesAgree([10, 10 * AGREE_FACTOR, 100])).toBe(true);
    expect(samplesAgree([10, 10 * AGREE_FACTOR * 1.01, 100])).toBe(false);
    expect(samplesAgree([10, 30])).toBe(false);
    expect(samplesAgree([])).toBe(false);
  });

  it('the median is the middle sample, the upper middle one for an even count', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(3);
  });
});
