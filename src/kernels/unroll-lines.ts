// Host-side unrolling of marked WGSL lines: per-item registers written out (dt0, dt1, ...) instead of
// arrays indexed in loops, so that keeping them in registers does not depend on a shader compiler
// unrolling the loops (selective_scan_subgroup.wgsl).

/** A marker: the placeholder character in its lines and how many copies to write. */
export interface UnrollMarker {
  mark: string;
  count: number;
}

/**
 * Repeats each line ending in `//@unroll` (optionally `//@unroll FIRST`) or `//@unroll-NAME` for index =
 * FIRST .. count - 1 of that marker (markers[''] for the plain one, markers['-NAME'] otherwise), with the
 * marker's placeholder replaced by the index; the marker comment is dropped. A line ending in several
 * markers (`//@unroll-a //@unroll-b 1`) is repeated over every combination, the first marker outermost.
 * Other lines pass unchanged.
 */
export function unrollLines(source: string, markers: Record<string, UnrollMarker>): string {
  return source
    .split('\n')
    .map((line) => {
      const m = /^(.*?)((?:\s*\/\/@unroll(?:-[a-z]+)?(?:\s+\d+)?)+)\s*$/.exec(line);
      if (!m) return line;
      let out = [m[1]];
      for (const [, name, first] of m[2].matchAll(/\/\/@unroll(-[a-z]+)?(?:\s+(\d+))?/g)) {
        const marker = markers[name ?? ''];
        if (!marker) throw new Error(`unrollLines: unknown marker //@unroll${name ?? ''}`);
        out = out.flatMap((text) => {
          const copies: string[] = [];
          for (let i = Number(first ?? 0); i < marker.count; i++) copies.push(text.split(marker.mark).join(String(i)));
          return copies;
        });
      }
      return out.join('\n');
    })
    .join('\n');
}
