// Page entry: mounts the app. Everything the page computes lives under src/engine, src/kernels, src/model
// (no UI imports there); src/ui holds React components and the zustand store.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './ui/App';
import './ui/styles.css';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
