/**
 * The ports the workflows call (interfaces belong to their consumer and stay small).
 * All async, so the SQLite implementation can be joined by PostgreSQL for scale-out.
 * One file per area (chat, audit, people, intake, plans, jobs); this index is what the
 * workflows import.
 */
export type { Clock } from '../../../shared/clock';
export type * from './chat';
export type * from './audit';
export type * from './people';
export type * from './intake';
export type * from './plans';
export type * from './jobs';
