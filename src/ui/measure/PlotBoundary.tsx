// Keeps a chart card's failure to itself: if its plot throws (the plot's script chunk failed to load, or
// drawing failed), the card says so in place of the plot and the rest of the page, with its results, goes on.
import { Component, type ReactNode } from 'react';

interface Props {
  children: ReactNode;
}

interface State {
  error: Error | null;
}

export class PlotBoundary extends Component<Props, State> {
  state: State = { error: null };

  static getDerivedStateFromError(error: unknown): State {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  render() {
    const { error } = this.state;
    if (!error) return this.props.children;
    return (
      <p role="alert" className="chart-empty error">
        The chart could not be drawn ({error.message}). The rest of the page works: export the results before reloading it.
      </p>
    );
  }
}
