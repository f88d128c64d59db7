// Saving files from the page (CSV, JSON, PNG, SVG) and turning a chart's SVG into an image. DOM only.

export function downloadBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function downloadText(text: string, filename: string, type: string): void {
  downloadBlob(new Blob([text], { type }), filename);
}

/** The chart's <svg> as a standalone document: fonts and colours resolved, a background painted. */
export function chartSvgText(container: HTMLElement): string {
  const svg = container.querySelector('svg.recharts-surface') ?? container.querySelector('svg');
  if (!svg) throw new Error('the chart has not been drawn yet');
  const clone = svg.cloneNode(true) as SVGSVGElement;
  const styles = getComputedStyle(container);
  const { width, height } = svg.getBoundingClientRect();
  clone.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  clone.setAttribute('width', String(Math.round(width)));
  clone.setAttribute('height', String(Math.round(height)));
  clone.setAttribute('font-family', styles.fontFamily || 'sans-serif');
  clone.setAttribute('font-size', '12');
  const bg = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
  bg.setAttribute('width', '100%');
  bg.setAttribute('height', '100%');
  bg.setAttribute('fill', getComputedStyle(document.body).backgroundColor || '#ffffff');
  clone.insertBefore(bg, clone.firstChild);
  // Text colours come from CSS variables on the page: resolve them into attributes.
  const fg = styles.color || '#000000';
  clone.querySelectorAll('text').forEach((t) => {
    if (!t.getAttribute('fill') || t.getAttribute('fill')?.startsWith('var(')) t.setAttribute('fill', fg);
  });
  return new XMLSerializer().serializeToString(clone);
}

export async function chartPngBlob(container: HTMLElement, scale = 2): Promise<Blob> {
  const svgText = chartSvgText(container);
  const svgUrl = URL.createObjectURL(new Blob([svgText], { type: 'image/svg+xml' }));
  try {
    const img = new Image();
    await new Promise<void>((resolve, reject) => {
      img.onload = () => resolve();
      img.onerror = () => reject(new Error('the chart could not be drawn as an image'));
      img.src = svgUrl;
    });
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(img.width * scale));
    canvas.height = Math.max(1, Math.round(img.height * scale));
    const ctx = canvas.getContext('2d')!;
    ctx.scale(scale, scale);
    ctx.drawImage(img, 0, 0);
    return await new Promise<Blob>((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('PNG encoding failed'))), 'image/png'));
  } finally {
    URL.revokeObjectURL(svgUrl);
  }
}
