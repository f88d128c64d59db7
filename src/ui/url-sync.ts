// Keeps the page address and the store's comparison in step, so every link is the whole comparison:
//   - at startup the fragment is decoded (decodeComparison never throws): what it can read is loaded, and
//     its warnings (what was wrong, what was ignored) become a notice;
//   - every change of `comparison` writes `#` + encodeComparison(...) with history.pushState for discrete
//     actions and replaceState for typing (the store's lastHistoryMode), so Back undoes discrete actions;
//   - popstate / hashchange (Back, Forward, an edited address) load the fragment into the store.
import { encodeComparison, decodeComparison } from '../url/codec';
import { useAppStore } from './store';

type Store = typeof useAppStore;

/** Starts syncing; returns a function that stops it. */
export function startUrlSync(store: Store = useAppStore, win: Window = window): () => void {
  let applyingFromUrl = false;

  const fragmentFor = (s: ReturnType<Store['getState']>): string => encodeComparison(s.comparison, { attachedResults: s.attachedResults ?? undefined });
  const currentFragment = (): string => win.location.hash.replace(/^#/, '');

  const load = (fragment: string, startup: boolean) => {
    const decoded = decodeComparison(fragment);
    const s = store.getState();
    applyingFromUrl = true;
    try {
      s.setComparison(decoded.comparison, 'replace');
      s.setAttachedResults(decoded.attachedResults ?? null);
    } finally {
      applyingFromUrl = false;
    }
    if (decoded.warnings.length > 0) {
      s.addNotice(
        'warning',
        startup ? 'Part of this link could not be read; the rest was loaded' : 'Part of the address could not be read; the rest was loaded',
        decoded.warnings,
      );
    }
  };

  const write = (mode: 'push' | 'replace') => {
    const fragment = fragmentFor(store.getState());
    if (fragment === currentFragment()) return;
    const url = `${win.location.pathname}${win.location.search}#${fragment}`;
    if (mode === 'push') win.history.pushState(null, '', url);
    else win.history.replaceState(null, '', url);
  };

  // Startup: read the link if there is one, then write the canonical form in place of what was given.
  if (currentFragment() !== '') load(currentFragment(), true);
  write('replace');

  const unsubscribe = store.subscribe((s, prev) => {
    if (applyingFromUrl) return;
    if (s.comparison === prev.comparison && s.attachedResults === prev.attachedResults) return;
    write(s.lastHistoryMode);
  });

  const onUrlChange = () => {
    const fragment = currentFragment();
    if (fragment === fragmentFor(store.getState())) return;
    load(fragment, false);
    // An edited address may not be canonical (or may hold errors): show the canonical form.
    write('replace');
  };
  win.addEventListener('popstate', onUrlChange);
  win.addEventListener('hashchange', onUrlChange);

  return () => {
    unsubscribe();
    win.removeEventListener('popstate', onUrlChange);
    win.removeEventListener('hashchange', onUrlChange);
  };
}
