// Measurements: sweep settings, run and cancel, progress, charts, side-by-side table, export.
import { Charts } from './Charts';
import { ComparePanel } from './ComparePanel';
import { ResultsExport } from './ResultsExport';
import { SweepControls } from './SweepControls';
import './measure.css';

export function MeasurePanel() {
  return (
    <>
      <SweepControls />
      <Charts />
      <ComparePanel />
      <ResultsExport />
    </>
  );
}
