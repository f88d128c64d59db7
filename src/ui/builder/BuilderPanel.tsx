// The model builder: models of the comparison, preset picker, model-level settings, the layer stack.
export function BuilderPanel() {
  return (
    <section className="builder panel" aria-label="Model builder">
      <h2>Models</h2>
    </section>
  );
}
