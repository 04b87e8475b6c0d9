/**
 * The areas whose handlers the router serves, in one list: each later area adds one line.
 * Each factory gets AppDeps and returns a HandlerSet (commands, verb actions, help, welcome).
 */
import type { CreateHandlers } from './app-deps';
import { createHandlers as intake } from './handlers';

export const AREAS: CreateHandlers[] = [intake];
