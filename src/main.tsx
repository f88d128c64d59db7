// Page entry: mounts the app. Everything the page computes lives under src/engine, src/kernels, src/model
// (no UI imports there); src/ui holds React components and the zustand store.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './ui/App';
import { startUrlSync } from './ui/url-sync';
import './ui/styles.css';

// The comparison lives in the address: load it before the first render, then keep the two in step.
startUrlSync();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
