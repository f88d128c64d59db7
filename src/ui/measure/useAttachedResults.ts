// Results that arrive with a link (`r=`) are unpacked against the link's comparison and shown as if just
// measured; damaged ones become a notice naming the problem. Once a new sweep runs, the link drops them.
import { useEffect } from 'react';
import { unpackResults } from '../../url/results-codec';
import { useAppStore } from '../store';

export function useAttachedResults(): void {
  const attached = useAppStore((s) => s.attachedResults);
  const comparison = useAppStore((s) => s.comparison);
  useEffect(() => {
    if (!attached) return;
    const s = useAppStore.getState();
    if (s.sweepStatus === 'running' || (s.sweepResults && s.sweepPoints.length)) return;
    let cancelled = false;
    unpackResults(attached, comparison).then(
      (results) => {
        if (!cancelled) useAppStore.getState().loadResults(results);
      },
      (e: Error) => {
        if (cancelled) return;
        const st = useAppStore.getState();
        st.setAttachedResults(null);
        st.addNotice('warning', 'The results attached to this link were ignored', [e.message]);
      },
    );
    return () => {
      cancelled = true;
    };
  }, [attached, comparison]);
}
