// The results in Chromium with the real store: the side-by-side table and the decode latency tooltip say
// how each decode point was timed (a captured step replayed per token, or the step recorded per token);
// the tooltips give the spread of a point's samples.
import { beforeEach, describe, expect, it } from 'vitest';
import { userEvent } from 'vitest/browser';
import { render } from 'vitest-browser-react';
import type { SweepPoint } from '../../measure/sweep';
import { defaultComparison } from '../../model/presets';
import { useAppStore } from '../store';
import { Charts } from './Charts';
import { ComparePanel } from './ComparePanel';

const bytes = { weights: 5e8, activations: 1e6, cache: 2e6, scratch: 64, peakTotal: 503000064 };

function decodePoint(modelIndex: number, seqLen: number, decodePath?: SweepPoint['decodePath']): SweepPoint {
  return { model: defaultComparison().models[modelIndex].name, modelIndex, mode: 'decode', seqLen, batch: 1, status: 'ok', msMedian: 0.75, msMin: 0.7, msMax: 0.9, tokensPerSecond: 1333, dispatches: 98, decodePath, measuredBytes: bytes, analyticBytes: bytes, device: 'gpu' };
}

function show(points: SweepPoint[]) {
  const comparison = defaultComparison();
  useAppStore.setState({ comparison: { ...comparison, sweep: { ...comparison.sweep, seqStart: 256, seqMax: 512 } }, notices: [] });
  useAppStore.getState().loadResults({ adapter: { vendor: 'cpu', description: 'test' }, config: useAppStore.getState().comparison, startedAt: '', points });
}

beforeEach(() => useAppStore.getState().clearResults());

describe('how decode points were timed', () => {
  it('the side-by-side table has a row for it, and none for results that did not record it', async () => {
    show([decodePoint(0, 512, 'replay'), decodePoint(1, 512, 'step')]);
    const screen = await render(<ComparePanel />);
    const row = screen.getByRole('row', { name: /^Decode timed as/ });
    await expect.element(row).toBeInTheDocument();
    // The first model's point was replayed, the second's recorded.
    await expect.poll(() => row.element().textContent).toBe('Decode timed asreplayed steprecorded step—');

    show([decodePoint(0, 512), decodePoint(1, 512)]);
    await expect.element(screen.getByRole('row', { name: /^Decode latency/ })).toBeInTheDocument();
    await expect.element(screen.getByRole('row', { name: /^Decode timed as/ })).not.toBeInTheDocument();
  });

  it('the decode latency tooltip names it after the value', async () => {
    show([256, 512].map((L) => decodePoint(1, L, 'replay')));
    const screen = await render(<Charts />);
    const chart = screen.getByTestId('chart-latency');
    // The plot's own surface (the legend icons are recharts surfaces too).
    const plot = () => chart.element().querySelector('.chart-box .recharts-wrapper > svg.recharts-surface');
    await expect.poll(plot, { timeout: 15_000 }).toBeTruthy();  // the plot module loads on first use
    await userEvent.hover(plot()!);
    await expect.element(chart.getByText(/0\.75 ms, replayed step/)).toBeInTheDocument();
  });
});

describe('the spread of a point', () => {
  it('the prefill throughput tooltip says how many samples the median is over, and the fastest and slowest', async () => {
    const prefill = (seqLen: number): SweepPoint => ({ ...decodePoint(1, seqLen), mode: 'prefill', decodePath: undefined, msMedian: 20.1, msMin: 17.3, msMax: 83.1, samples: 7, tokensPerSecond: 12736 });
    show([prefill(256), prefill(512)]);
    const screen = await render(<Charts />);
    const chart = screen.getByTestId('chart-throughput');
    const plot = () => chart.element().querySelector('.chart-box .recharts-wrapper > svg.recharts-surface');
    await expect.poll(plot, { timeout: 15_000 }).toBeTruthy();  // the plot module loads on first use
    await userEvent.hover(plot()!);
    await expect.element(chart.getByText(/12\.7k, median of 7 samples, 17\.3 ms to 83\.1 ms/)).toBeInTheDocument();
  });
});
