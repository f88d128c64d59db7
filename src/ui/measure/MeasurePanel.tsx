// Measurements: sweep settings, run and cancel, progress, charts, side-by-side table, export.
import { Charts } from './Charts';
import { ComparePanel } from './ComparePanel';
import { ResultsExport } from './ResultsExport';
import { SweepControls } from './SweepControls';
import { useAttachedResults } from './useAttachedResults';
import './measure.css';

export function MeasurePanel() {
  useAttachedResults();
  return (
    <>
      <SweepControls />
      <Charts />
      <ComparePanel />
      <ResultsExport />
    </>
  );
}
