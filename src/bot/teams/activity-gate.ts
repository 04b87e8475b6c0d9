/**
 * Which activities picbot serves at all, decided after the token is checked and before anything
 * is read or stored: production serves only the `msteams` channel (PICBOT_CHANNELS widens it) and
 * only its own tenant (MicrosoftAppTenantId plus PICBOT_TENANTS). The Bot Service signs tokens
 * for every channel the bot is connected to, and a Web Chat or Direct Line client chooses the
 * `from` it claims, so without this gate a holder of such a secret could act as any admin.
 * See docs/deploy.md, "Channels and tenants".
 */
import type { Clock } from '../../shared/clock';
import { cleanForLog, type Logger } from '../../shared/logger';

/** How many activities were refused, per channel and tenant (read by a metrics endpoint). */
export interface RefusedActivityCounter {
  add(channelId: string, tenantId: string | null): void;
  /** One row per channel and tenant seen, with its count. */
  snapshot(): { channelId: string; tenantId: string | null; count: number }[];
  total(): number;
}

/** The counter the composition root builds and hands to the gate and to whoever reports metrics. */
export function createRefusedActivityCounter(): RefusedActivityCounter {
  const counts = new Map<string, { channelId: string; tenantId: string | null; count: number }>();
  return {
    add(channelId, tenantId) {
      const key = `${channelId}\u0000${tenantId ?? ''}`;
      const row = counts.get(key) ?? { channelId, tenantId, count: 0 };
      row.count += 1;
      counts.set(key, row);
    },
    snapshot: () => [...counts.values()].map((row) => ({ ...row })),
    total: () => [...counts.values()].reduce((sum, row) => sum + row.count, 0),
  };
}

export type GateDecision = { ok: true } | { ok: false; reason: 'channel' | 'tenant' };

export interface ActivityGate {
  /** Whether to serve an activity from this channel and tenant; a refusal is counted and logged. */
  check(channelId: string, tenantId: string | null): GateDecision;
}

/** The most distinct channel+tenant pairs whose last log time is remembered (a flood of made-up tenants stays bounded). */
const MAX_REMEMBERED = 1000;
const LOG_EVERY_MS = 60_000;

export function createActivityGate(options: {
  /** Channels served; null = all (local mode without PICBOT_CHANNELS). */
  channels: string[] | null;
  /** Tenants served (lower case); null = all (local mode without PICBOT_TENANTS). */
  tenants: string[] | null;
  counter: RefusedActivityCounter;
  clock: Clock;
  logger: Logger;
}): ActivityGate {
  const channels = options.channels && new Set(options.channels.map((c) => c.toLowerCase()));
  const tenants = options.tenants && new Set(options.tenants.map((t) => t.toLowerCase()));
  const lastLogged = new Map<string, number>();
  const log = options.logger.child({ component: 'activity-gate' });

  function logOncePerMinute(channelId: string, tenantId: string | null, reason: 'channel' | 'tenant'): void {
    const key = `${channelId}\u0000${tenantId ?? ''}`;
    const now = options.clock.now().getTime();
    const last = lastLogged.get(key);
    if (last !== undefined && now - last < LOG_EVERY_MS) return;
    if (last === undefined && lastLogged.size >= MAX_REMEMBERED) lastLogged.delete(lastLogged.keys().next().value!);
    lastLogged.delete(key);
    lastLogged.set(key, now);
    log.warn(
      { channelId: cleanForLog(channelId, 64), tenantId: tenantId === null ? null : cleanForLog(tenantId, 128), reason, refusedSoFar: options.counter.snapshot().find((r) => r.channelId === channelId && r.tenantId === tenantId)?.count ?? 0 },
      reason === 'channel' ? 'refused an activity from a channel picbot does not serve (PICBOT_CHANNELS); logged once a minute per channel and tenant' : 'refused an activity from a tenant picbot does not serve (MicrosoftAppTenantId, PICBOT_TENANTS); logged once a minute per channel and tenant',
    );
  }

  return {
    check(rawChannel, rawTenant) {
      const channelId = rawChannel.toLowerCase();
      const tenantId = rawTenant === null ? null : rawTenant.toLowerCase();
      let reason: 'channel' | 'tenant' | null = null;
      if (channels && !channels.has(channelId)) reason = 'channel';
      else if (tenants && (tenantId === null || !tenants.has(tenantId))) reason = 'tenant';
      if (reason === null) return { ok: true };
      options.counter.add(channelId, tenantId);
      logOncePerMinute(channelId, tenantId, reason);
      return { ok: false, reason };
    },
  };
}
