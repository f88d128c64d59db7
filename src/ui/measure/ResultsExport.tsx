// Export the results (CSV, JSON with adapter info, config and every point) and load a saved JSON back.
import { useId, useState } from 'react';
import { resultsToCsv } from '../../measure/chart-data';
import type { SweepResults } from '../../measure/sweep';
import { validateComparison } from '../../model/config';
import { useAppStore } from '../store';
import { downloadText } from './download';
import { MAX_LINK_CHARS, packResults } from '../../url/results-codec';

export function ResultsExport() {
  const results = useAppStore((s) => s.sweepResults);
  const loadResults = useAppStore((s) => s.loadResults);
  const setComparison = useAppStore((s) => s.setComparison);
  const [error, setError] = useState<string | null>(null);
  const [linkState, setLinkState] = useState<string | null>(null);
  const setAttachedResults = useAppStore((s) => s.setAttachedResults);
  const copyWithResults = async () => {
    setError(null);
    setLinkState(null);
    if (!results) return;
    try {
      const packed = await packResults(results);
      setAttachedResults(packed);
      // url-sync writes the fragment synchronously on the store change.
      const href = location.href;
      if (href.length > MAX_LINK_CHARS) {
        setAttachedResults(null);
        throw new Error(`the link would be ${href.length} characters, over the ${MAX_LINK_CHARS} that links can safely carry; export JSON instead`);
      }
      await navigator.clipboard.writeText(href);
      setLinkState(`Copied a link with ${results.points.length} points (${href.length} characters).`);
    } catch (e) {
      const message = (e as Error).message;
      setError(/clipboard|denied|permission/i.test(message) ? 'The clipboard was refused: the link with results is in the address bar.' : `No link with results: ${message}`);
    }
  };
  const id = useId();
  const stamp = () => new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const onFile = async (file: File) => {
    setError(null);
    try {
      const raw = JSON.parse(await file.text()) as Partial<SweepResults>;
      if (!raw || !Array.isArray(raw.points)) throw new Error('it has no "points" list');
      const config = validateComparison(raw.config);
      if (!config.ok) throw new Error(`its config is invalid: ${config.issues[0]?.message ?? 'unknown problem'}`);
      const points = raw.points.filter((p) => p && typeof p === 'object' && typeof p.seqLen === 'number' && typeof p.modelIndex === 'number' && (p.mode === 'prefill' || p.mode === 'decode'));
      setComparison(config.value, 'push');
      loadResults({ adapter: raw.adapter ?? { vendor: 'cpu', description: 'unknown' }, config: config.value, startedAt: String(raw.startedAt ?? ''), points });
    } catch (e) {
      setError(`${file.name} could not be loaded: ${(e as Error).message}`);
    }
  };
  return (
    <section className="panel export" aria-label="Export results">
      <h2>Results</h2>
      <div className="run-row">
        <button type="button" disabled={!results?.points.length} onClick={() => results && downloadText(resultsToCsv(results), `hybrid-playground-${stamp()}.csv`, 'text/csv')}>Download CSV</button>
        <button type="button" disabled={!results?.points.length} onClick={() => results && downloadText(JSON.stringify(results, null, 2), `hybrid-playground-${stamp()}.json`, 'application/json')}>Download JSON</button>
        <button type="button" disabled={!results?.points.length} onClick={() => void copyWithResults()}>Copy link with results</button>
        <label className="file-button" htmlFor={`${id}-file`}>Load JSON…</label>
        <input id={`${id}-file`} className="visually-hidden" type="file" accept="application/json,.json" onChange={(e) => e.target.files?.[0] && void onFile(e.target.files[0])} />
      </div>
      {linkState ? <p role="status" className="muted">{linkState}</p> : null}
      {error ? <p role="alert" className="error">{error}</p> : null}
    </section>
  );
}
