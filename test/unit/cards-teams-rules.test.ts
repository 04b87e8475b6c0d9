import { checkTeamsSupport, MAX_CARD_BYTES } from '../../src/tools/gallery/teams-rules';
import { unboundPaths } from '../../src/tools/gallery/unbound';

const card = (extra: Record<string, unknown> = {}, body: unknown[] = [{ type: 'TextBlock', text: 'hello' }]) => ({
  type: 'AdaptiveCard',
  version: '1.5',
  body,
  ...extra,
});
const execute = (verb: unknown = 'plan.approve') => ({ type: 'Action.Execute', title: 'Go', verb });

describe('Teams rules for picbot cards', () => {
  it.each([
    { name: 'a plain 1.5 card', card: card() },
    { name: 'a 1.2 card', card: card({ version: '1.2' }) },
    { name: 'Execute actions with verbs', card: card({ actions: [execute(), { type: 'Action.ShowCard', title: 'More', card: card({ actions: [execute('plan.reject')] }) }] }) },
    { name: 'an https link and a data image', card: card({ actions: [{ type: 'Action.OpenUrl', title: 'Docs', url: 'https://learn.microsoft.com/' }] }, [{ type: 'Image', url: 'data:image/png;base64,iVBORw0KGgo=' }]) },
    { name: 'full width', card: card({ msteams: { width: 'Full' } }) },
    { name: 'text in accent and attention (AA on white)', card: card({}, [{ type: 'TextBlock', text: 'a', color: 'accent' }, { type: 'RichTextBlock', inlines: [{ type: 'TextRun', text: 'b', color: 'Attention' }] }]) },
    { name: 'a refresh for listed approvers', card: card({ refresh: { action: execute('plan.refresh'), userIds: ['29:abc', '29:def'] } }) },
  ])('accepts $name', ({ card: c }) => {
    expect(checkTeamsSupport(c)).toEqual([]);
  });

  it.each([
    { name: 'a 1.6 card', card: card({ version: '1.6' }), wantProblem: '$.version: 1.6 is above 1.5' },
    { name: 'a card without a version', card: card({ version: undefined }), wantProblem: '$.version: must be' },
    { name: 'an Action.Submit', card: card({ actions: [{ type: 'Action.Submit', title: 'Send' }] }), wantProblem: '$.actions[0]: Action.Submit: picbot routes only Action.Execute' },
    { name: 'a Media element deep inside', card: card({}, [{ type: 'Container', items: [{ type: 'Media', sources: [] }] }]), wantProblem: '$.body[0].items[0]: Media:' },
    { name: 'an Execute without a verb', card: card({ actions: [execute('  ')] }), wantProblem: '$.actions[0]: Action.Execute without a verb' },
    { name: 'a plain-http link', card: card({ actions: [{ type: 'Action.OpenUrl', title: 'x', url: 'http://intranet/' }] }), wantProblem: 'Action.OpenUrl uses http:' },
    { name: 'a javascript: select action', card: card({}, [{ type: 'Container', items: [], selectAction: { type: 'Action.OpenUrl', url: 'javascript:alert(1)' } }]), wantProblem: '$.body[0].selectAction: Action.OpenUrl uses javascript:' },
    { name: 'a relative image URL', card: card({}, [{ type: 'Image', url: 'logo.png' }]), wantProblem: 'Image has a URL that is not absolute' },
    { name: 'an http background image', card: card({ backgroundImage: 'http://x.example/bg.png' }), wantProblem: '$.backgroundImage: uses http:' },
    { name: 'an unknown msteams width', card: card({ msteams: { width: 'Wide' } }), wantProblem: '$.msteams:' },
    { name: 'a refresh without userIds', card: card({ refresh: { action: execute('plan.refresh') } }), wantProblem: '$.refresh.userIds: required' },
    { name: 'a refresh for 61 users', card: card({ refresh: { action: execute('plan.refresh'), userIds: Array.from({ length: 61 }, (_, i) => `29:${i}`) } }), wantProblem: '61 users' },
    { name: 'a refresh with a Submit', card: card({ refresh: { action: { type: 'Action.Submit' }, userIds: [] } }), wantProblem: '$.refresh.action: must be an Action.Execute' },
    { name: 'a card over 28 KB', card: card({}, [{ type: 'TextBlock', text: 'x'.repeat(MAX_CARD_BYTES) }]), wantProblem: 'Teams messages must stay under' },
    { name: 'yellow (warning) text', card: card({}, [{ type: 'TextBlock', text: 'Local mode', color: 'warning' }]), wantProblem: "$.body[0]: TextBlock color warning is 1.5:1 on Teams' light theme, below WCAG AA's 4.5:1" },
    { name: 'green (good) text in a run', card: card({}, [{ type: 'RichTextBlock', inlines: [{ type: 'TextRun', text: '✓', color: 'Good' }] }]), wantProblem: 'TextRun color Good is 2.1:1' },
    { name: 'something that is not a card', card: { type: 'Message' }, wantProblem: '$: not an AdaptiveCard' },
  ])('refuses $name', ({ card: c, wantProblem }) => {
    expect(checkTeamsSupport(c).join('\n')).toContain(wantProblem);
  });
});

describe('unbound template expressions', () => {
  it('names every string that still holds ${…}', () => {
    expect(unboundPaths(card({ actions: [{ type: 'Action.Execute', verb: 'x', data: { id: '${requestId}' } }] }, [{ type: 'TextBlock', text: 'Hi ${name}' }]))).toEqual([
      '$.body[0].text',
      '$.actions[0].data.id',
    ]);
    expect(unboundPaths(card())).toEqual([]);
  });
});
