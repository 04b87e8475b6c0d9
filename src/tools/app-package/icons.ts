/**
 * picbot's Teams icons: drawn from a few shapes (a chat bubble with an approval check cut out of it)
 * so they can be regenerated without an image editor, and checked the way Teams requires
 * (color 192×192; outline 32×32, white on transparent).
 */
import { PNG } from 'pngjs';

export const COLOR_SIZE = 192;
export const OUTLINE_SIZE = 32;
/** Teams blue; also the manifest's accentColor. */
export const ACCENT = { r: 0x0f, g: 0x6c, b: 0xbd } as const;

type Point = readonly [number, number];

// The glyph in a unit box: a rounded bubble, a tail at its lower left, a check mark.
const BUBBLE = { cx: 0.5, cy: 0.44, hw: 0.5, hh: 0.36, r: 0.16 };
const TAIL: readonly Point[] = [[0.2, 0.74], [0.14, 0.98], [0.46, 0.76]];
const CHECK: readonly Point[] = [[0.26, 0.46], [0.43, 0.62], [0.74, 0.28]];
const CHECK_WIDTH = 0.13;
const SAMPLES = 4; // per axis: 16 samples a pixel for smooth edges

function roundBoxDistance(x: number, y: number): number {
  const qx = Math.abs(x - BUBBLE.cx) - (BUBBLE.hw - BUBBLE.r);
  const qy = Math.abs(y - BUBBLE.cy) - (BUBBLE.hh - BUBBLE.r);
  const outside = Math.hypot(Math.max(qx, 0), Math.max(qy, 0));
  return outside + Math.min(Math.max(qx, qy), 0) - BUBBLE.r;
}

function inTriangle(x: number, y: number, [a, b, c]: readonly Point[]): boolean {
  const side = (p: Point, q: Point) => (q[0] - p[0]) * (y - p[1]) - (q[1] - p[1]) * (x - p[0]);
  const d1 = side(a!, b!);
  const d2 = side(b!, c!);
  const d3 = side(c!, a!);
  return (d1 >= 0 && d2 >= 0 && d3 >= 0) || (d1 <= 0 && d2 <= 0 && d3 <= 0);
}

function segmentDistance(x: number, y: number, [ax, ay]: Point, [bx, by]: Point): number {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(x - (ax + t * dx), y - (ay + t * dy));
}

/** True where the glyph (bubble minus check) covers the unit-box point. */
function inGlyph(x: number, y: number): boolean {
  const inBubble = roundBoxDistance(x, y) <= 0 || inTriangle(x, y, TAIL);
  if (!inBubble) return false;
  const toCheck = Math.min(segmentDistance(x, y, CHECK[0]!, CHECK[1]!), segmentDistance(x, y, CHECK[1]!, CHECK[2]!));
  return toCheck > CHECK_WIDTH / 2;
}

/** Fraction (0..1) of the pixel covered by the glyph drawn into the square frame at (origin, size). */
function coverage(px: number, py: number, origin: number, size: number): number {
  let hits = 0;
  for (let sy = 0; sy < SAMPLES; sy++) {
    for (let sx = 0; sx < SAMPLES; sx++) {
      const x = (px + (sx + 0.5) / SAMPLES - origin) / size;
      const y = (py + (sy + 0.5) / SAMPLES - origin) / size;
      if (inGlyph(x, y)) hits++;
    }
  }
  return hits / (SAMPLES * SAMPLES);
}

function draw(side: number, origin: number, size: number, paint: (data: Buffer, i: number, cover: number) => void): Buffer {
  const png = new PNG({ width: side, height: side });
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) paint(png.data, (y * side + x) * 4, coverage(x, y, origin, size));
  }
  return PNG.sync.write(png);
}

/** The 192×192 color icon: a white glyph on a full-bleed accent square. */
export function drawColorIcon(): Buffer {
  return draw(COLOR_SIZE, 36, 120, (d, i, c) => {
    d[i] = Math.round(ACCENT.r + (255 - ACCENT.r) * c);
    d[i + 1] = Math.round(ACCENT.g + (255 - ACCENT.g) * c);
    d[i + 2] = Math.round(ACCENT.b + (255 - ACCENT.b) * c);
    d[i + 3] = 255;
  });
}

/** The 32×32 outline icon: the same glyph in white, the rest transparent. */
export function drawOutlineIcon(): Buffer {
  return draw(OUTLINE_SIZE, 1, 30, (d, i, c) => {
    d[i] = 255;
    d[i + 1] = 255;
    d[i + 2] = 255;
    d[i + 3] = Math.round(255 * c);
  });
}

/** Problems with an icon file's content; empty when it meets the Teams rules for its kind. */
export function checkIcon(kind: 'color' | 'outline', file: Buffer): string[] {
  let png: PNG;
  try {
    png = PNG.sync.read(file);
  } catch (err) {
    return [`${kind} icon is not a readable PNG: ${err instanceof Error ? err.message : String(err)}`];
  }
  const want = kind === 'color' ? COLOR_SIZE : OUTLINE_SIZE;
  if (png.width !== want || png.height !== want) {
    return [`${kind} icon is ${png.width}×${png.height}; Teams requires ${want}×${want}`];
  }
  if (kind === 'color') return [];
  for (let i = 0; i < png.data.length; i += 4) {
    const white = png.data[i] === 255 && png.data[i + 1] === 255 && png.data[i + 2] === 255;
    if (!white && png.data[i + 3] !== 0) {
      const pixel = i / 4;
      return [`outline icon has a pixel that is neither white nor transparent at (${pixel % png.width}, ${Math.floor(pixel / png.width)})`];
    }
  }
  return [];
}
