// A chart whose plot fails (its script chunk did not load, or drawing threw) says so in its own card, and
// the cards beside it still draw.
import { describe, expect, it, vi } from 'vitest';
import { render } from 'vitest-browser-react';
import { PlotBoundary } from './PlotBoundary';

function Broken(): never {
  throw new Error('Failed to fetch dynamically imported module: /assets/LinePlot-x.js');
}

describe('a chart whose plot fails', () => {
  it('shows what went wrong in place of the plot; its neighbour still draws', async () => {
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const screen = await render(
        <div>
          <PlotBoundary>
            <Broken />
          </PlotBoundary>
          <PlotBoundary>
            <p>the other plot</p>
          </PlotBoundary>
        </div>,
      );
      await expect.element(screen.getByRole('alert')).toHaveTextContent('The chart could not be drawn (Failed to fetch dynamically imported module: /assets/LinePlot-x.js). The rest of the page works: export the results before reloading it.');
      await expect.element(screen.getByText('the other plot')).toBeInTheDocument();
    } finally {
      quiet.mockRestore();
    }
  });
});
