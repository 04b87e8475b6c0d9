/** The Teams edge (the only importer of botbuilder): see adapter.ts. */
export { createTeamsBridge, type EndpointAnswer, type MessagesEndpoint, type TeamsBridge, type TeamsDeps, type TeamsOptions } from './adapter';
export { InboundActivity } from './activity';
export type { CredentialsFactory } from './auth';
export { createActivityGate, createRefusedActivityCounter, type ActivityGate, type RefusedActivityCounter } from './activity-gate';
export { createCardScheduler, systemTimerClock, TEAMS_CONVERSATION_LIMITS, type CardObserver } from './card-scheduler';
