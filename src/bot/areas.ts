/**
 * The areas whose handlers the router serves, in one list: each later area adds one line.
 * Each factory gets AppDeps and returns a HandlerSet (commands, verb actions, help, welcome).
 */
import type { CreateHandlers } from './app-deps';

export const AREAS: CreateHandlers[] = [];
