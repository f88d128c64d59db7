// The page: the model builder on the left, measurements and charts on the right.
import { useEffect } from 'react';
import { AdapterPanel } from './components/AdapterPanel';
import { useAppStore } from './store';

export function App() {
  const initGpu = useAppStore((s) => s.initGpu);
  useEffect(() => {
    void initGpu();
  }, [initGpu]);
  return (
    <div className="app">
      <header className="app-header">
        <h1>Hybrid Playground</h1>
        <p className="tagline">State space models and attention, side by side, on your GPU.</p>
      </header>
      <main className="layout">
        <section className="builder panel" aria-label="Model builder">
          <h2>Models</h2>
          <p>The model builder lives here.</p>
        </section>
        <section className="results" aria-label="Measurements">
          <AdapterPanel />
        </section>
      </main>
    </div>
  );
}
