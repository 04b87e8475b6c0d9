/**
 * The card gallery in real headless Chromium with the real adaptivecards renderer: every card in
 * cards/ renders without a problem, and the renderer's parse/validation events do fail a card.
 * Needs /usr/bin/chromium (`apt-get install -y chromium`).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PNG } from 'pngjs';
import { openCardRenderer, renderGallery, type CardRenderer } from '../../src/tools/gallery/gallery';

const ROOT = resolve(__dirname, '../..');
const CHROMIUM = '/usr/bin/chromium';

describe('card gallery in Chromium', () => {
  let out: string;
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'picbot-gallery-'));
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('renders every card in cards/ without a problem, into a picture each', async () => {
    const result = await renderGallery({ root: ROOT, outDir: out, chromiumPath: CHROMIUM });
    expect(result.cards.filter((c) => c.problems.length > 0)).toEqual([]);
    expect(result.cards.length).toBeGreaterThan(0);
    for (const card of result.cards) {
      expect(existsSync(card.png!)).toBe(true);
      const { width, height } = PNG.sync.read(readFileSync(card.png!));
      expect([506, 666]).toContain(width); // 480 px or full width (640 px), plus frame
      expect(height).toBeGreaterThan(40);
    }
  });

  describe('renderer events fail a card', () => {
    let renderer: CardRenderer;
    beforeAll(async () => {
      renderer = await openCardRenderer({ root: ROOT, chromiumPath: CHROMIUM });
    });
    afterAll(() => renderer.close());

    const card = (body: unknown[]) => ({ type: 'AdaptiveCard', version: '1.5', body });
    it.each([
      { name: 'a required input without a label', body: [{ type: 'Input.Text', id: 'fqdn', isRequired: true, errorMessage: 'Enter it' }], wantProblem: 'RequiredInputsShouldHaveLabel' },
      { name: 'an unknown element', body: [{ type: 'Chart.Pie', title: 'x' }], wantProblem: 'UnknownElementType' },
      { name: 'two inputs with one id', body: [{ type: 'Input.Text', id: 'a', label: 'A' }, { type: 'Input.Text', id: 'a', label: 'B' }], wantProblem: 'DuplicateId' },
    ])('$name', async ({ body, wantProblem }) => {
      const rendered = await renderer.render(card(body));
      expect(rendered.problems.join('\n')).toContain(wantProblem);
    });

    it('a clean card has no problem and a picture', async () => {
      const rendered = await renderer.render(card([{ type: 'TextBlock', text: 'Plan approved', wrap: true }]));
      expect(rendered.problems).toEqual([]);
      const file = join(out, 'clean.png');
      await rendered.screenshot(file);
      expect(PNG.sync.read(readFileSync(file)).width).toBe(506);
    });
  });
});
