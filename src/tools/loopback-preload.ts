/**
 * A `node -r` preload that keeps a third-party server on this machine: net.Server.listen without
 * a host binds 127.0.0.1 instead of every interface. `npm start` runs Microsoft 365 Agents
 * Playground through it, because the Playground has no host option and listens on all addresses
 * (it has no authentication, and it relays to a bot that checks no token in local mode).
 *
 *   node -r ./dist/tools/loopback-preload.js node_modules/@microsoft/m365agentsplayground/cli.js …
 */
import { installLoopbackDefault } from './loopback-host';

installLoopbackDefault();
