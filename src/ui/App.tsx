// The page: the model builder on the left, measurements and charts on the right.
import { useEffect } from 'react';
import { AdapterPanel } from './components/AdapterPanel';
import { BuilderPanel } from './builder/BuilderPanel';
import { MeasurePanel } from './measure/MeasurePanel';
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
        <BuilderPanel />
        <section className="results" aria-label="Measurements">
          <AdapterPanel />
          <MeasurePanel />
        </section>
      </main>
    </div>
  );
}
