// Measurements: sweep settings, run and cancel, progress, charts, side-by-side table, export.
export function MeasurePanel() {
  return <section className="panel" aria-label="Measurements" />;
}
