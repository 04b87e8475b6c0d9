/** The channel and tenant gate: what it serves, what it counts, and how often it logs a refusal. */
import pino from 'pino';
import { createActivityGate, createRefusedActivityCounter } from '../../../../src/bot/teams/activity-gate';
import { fakeClock } from '../../../fakes/clock';

const HOME = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const OTHER = '0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9';

function setup(options: { channels: string[] | null; tenants: string[] | null }) {
  const lines: { msg: string; channelId: string; tenantId: string | null }[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as never) });
  const clock = fakeClock('2026-11-02T09:00:00.000Z');
  const counter = createRefusedActivityCounter();
  const gate = createActivityGate({ ...options, counter, clock, logger });
  return { gate, counter, clock, lines };
}

describe('activity gate', () => {
  it.each([
    { channels: ['msteams'], tenants: [HOME], channel: 'msteams', tenant: HOME, want: { ok: true } },
    { channels: ['msteams'], tenants: [HOME], channel: 'MSTeams', tenant: HOME.toUpperCase(), want: { ok: true } },
    { channels: ['msteams'], tenants: [HOME], channel: 'webchat', tenant: HOME, want: { ok: false, reason: 'channel' } },
    { channels: ['msteams'], tenants: [HOME], channel: 'directline', tenant: HOME, want: { ok: false, reason: 'channel' } },
    { channels: ['msteams'], tenants: [HOME], channel: 'msteams', tenant: OTHER, want: { ok: false, reason: 'tenant' } },
    { channels: ['msteams'], tenants: [HOME], channel: 'msteams', tenant: null, want: { ok: false, reason: 'tenant' } },
    { channels: ['msteams', 'webchat'], tenants: [HOME, OTHER], channel: 'webchat', tenant: OTHER, want: { ok: true } },
    { channels: null, tenants: null, channel: 'emulator', tenant: null, want: { ok: true } },
    { channels: null, tenants: [HOME], channel: 'emulator', tenant: null, want: { ok: false, reason: 'tenant' } },
  ])('$channel / $tenant with channels $channels and tenants $tenants → $want', ({ channels, tenants, channel, tenant, want }) => {
    expect(setup({ channels, tenants }).gate.check(channel, tenant)).toEqual(want);
  });

  it('counts every refusal per channel and tenant, and logs each pair at most once a minute', () => {
    const { gate, counter, clock, lines } = setup({ channels: ['msteams'], tenants: [HOME] });
    for (let i = 0; i < 5; i += 1) gate.check('webchat', HOME);
    gate.check('msteams', OTHER);
    gate.check('msteams', HOME);
    expect(counter.total()).toBe(6);
    expect(counter.snapshot()).toEqual([
      { channelId: 'webchat', tenantId: HOME, count: 5 },
      { channelId: 'msteams', tenantId: OTHER, count: 1 },
    ]);
    expect(lines.map((l) => [l.channelId, l.tenantId])).toEqual([['webchat', HOME], ['msteams', OTHER]]);
    clock.set('2026-11-02T09:00:59.000Z');
    gate.check('webchat', HOME);
    expect(lines).toHaveLength(2);
    clock.set('2026-11-02T09:01:00.000Z');
    gate.check('webchat', HOME);
    expect(lines).toHaveLength(3);
    expect(counter.total()).toBe(8);
  });

  it('still logs and counts past the 1000 channel+tenant pairs it remembers (a flood of made-up tenants)', () => {
    const { gate, counter, lines } = setup({ channels: ['msteams'], tenants: [HOME] });
    for (let i = 0; i < 1500; i += 1) gate.check('msteams', `tenant-${i}`);
    expect(lines).toHaveLength(1500);
    expect(counter.total()).toBe(1500);
  });
});
