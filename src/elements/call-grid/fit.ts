export interface TileBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Lays tiles with the given aspect ratios out in rows inside a `width × height`
 * box: tries every row count, keeps the one that covers the most area, and
 * centres each row. Tiles keep their order and their own aspect ratio.
 */
export function fitTiles(
  ratios: readonly number[],
  width: number,
  height: number,
  gap: number,
): TileBox[] {
  const n = ratios.length;
  if (n === 0 || width <= 0 || height <= 0) return [];
  let best: { rows: number[][]; heights: number[]; area: number } | undefined;
  for (let rowCount = 1; rowCount <= n; rowCount++) {
    const rows: number[][] = [];
    let next = 0;
    for (let r = 0; r < rowCount; r++) {
      const size = Math.floor(n / rowCount) + (r < n % rowCount ? 1 : 0);
      rows.push(Array.from({ length: size }, () => next++));
    }
    const maxRowHeight = (height - gap * (rowCount - 1)) / rowCount;
    const heights = rows.map((row) => {
      const sum = row.reduce((acc, i) => acc + (ratios[i] ?? 1), 0);
      return Math.max(0, Math.min(maxRowHeight, (width - gap * (row.length - 1)) / sum));
    });
    const area = rows.reduce(
      (acc, row, r) => acc + row.reduce((a, i) => a + (heights[r] ?? 0) ** 2 * (ratios[i] ?? 1), 0),
      0,
    );
    if (!best || area > best.area) best = { rows, heights, area };
  }
  if (!best) return [];
  const boxes: TileBox[] = [];
  const used = best.heights.reduce((a, h) => a + h, 0) + gap * (best.rows.length - 1);
  let y = (height - used) / 2;
  best.rows.forEach((row, r) => {
    const h = best.heights[r] ?? 0;
    const rowWidth = row.reduce((a, i) => a + h * (ratios[i] ?? 1), 0) + gap * (row.length - 1);
    let x = (width - rowWidth) / 2;
    for (const i of row) {
      const w = h * (ratios[i] ?? 1);
      boxes[i] = { x, y, width: w, height: h };
      x += w + gap;
    }
    y += h + gap;
  });
  return boxes;
}
