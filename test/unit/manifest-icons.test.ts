import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { checkIcon, drawColorIcon, drawOutlineIcon } from '../../src/tools/app-package/icons';

const MANIFEST_DIR = join(__dirname, '..', '..', 'manifest');
const committed = (name: string) => readFileSync(join(MANIFEST_DIR, name));

function png(width: number, height: number, rgba: [number, number, number, number]): Buffer {
  const image = new PNG({ width, height });
  for (let i = 0; i < image.data.length; i += 4) image.data.set(rgba, i);
  return PNG.sync.write(image);
}

describe('Teams icons', () => {
  it.each([
    ['color', 'color.png', 192],
    ['outline', 'outline.png', 32],
  ] as const)('the committed %s icon is %s at %i×%i and passes the check', (kind, file, size) => {
    const image = PNG.sync.read(committed(file));
    expect([image.width, image.height]).toEqual([size, size]);
    expect(checkIcon(kind, committed(file))).toEqual([]);
  });

  it.each([
    ['color.png', drawColorIcon],
    ['outline.png', drawOutlineIcon],
  ] as const)('%s is what make-icons draws (regenerate after changing the shapes)', (file, draw) => {
    expect(PNG.sync.read(draw()).data.equals(PNG.sync.read(committed(file)).data)).toBe(true);
  });

  it('the outline icon has a visible glyph and a transparent background', () => {
    const { data } = PNG.sync.read(committed('outline.png'));
    const alphas = [...data.filter((_, i) => i % 4 === 3)];
    expect(alphas[0]).toBe(0); // top-left corner
    expect(alphas.filter((a) => a === 255).length).toBeGreaterThan(200);
  });

  it.each([
    { name: 'a color icon of the wrong size', kind: 'color' as const, file: png(96, 96, [15, 108, 189, 255]), want: 'color icon is 96×96; Teams requires 192×192' },
    { name: 'an outline icon of the wrong size', kind: 'outline' as const, file: png(32, 30, [255, 255, 255, 0]), want: 'outline icon is 32×30' },
    { name: 'an outline icon with a colored pixel', kind: 'outline' as const, file: png(32, 32, [15, 108, 189, 255]), want: 'neither white nor transparent at (0, 0)' },
    { name: 'a file that is not a PNG', kind: 'color' as const, file: Buffer.from('GIF89a'), want: 'color icon is not a readable PNG' },
  ])('refuses $name', ({ kind, file, want }) => {
    expect(checkIcon(kind, file).join('\n')).toContain(want);
  });

  it('accepts an all-transparent colored outline pixel and white at any alpha', () => {
    expect(checkIcon('outline', png(32, 32, [0, 0, 0, 0]))).toEqual([]);
    expect(checkIcon('outline', png(32, 32, [255, 255, 255, 128]))).toEqual([]);
  });
});
