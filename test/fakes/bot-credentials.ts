/**
 * Outbound Bot Framework credentials that need no token service: the bot's replies carry a fixed
 * bearer the loopback connector can see, so a production-mode test never leaves loopback.
 * Inbound validation is untouched (production wraps any factory and keeps JWT checks on).
 */
import type { CredentialsFactory } from '../../src/bot/teams';

export const OUTBOUND_TOKEN = 'Bearer loopback-outbound-token';

export function loopbackCredentialsFactory(appId: string): CredentialsFactory {
  return {
    isValidAppId: async (id: string) => id === appId,
    isAuthenticationDisabled: async () => false,
    createCredentials: async () => ({
      signRequest: async (request: { headers: { set(name: string, value: string): void } }) => {
        request.headers.set('authorization', OUTBOUND_TOKEN);
        return request;
      },
    }),
  } as unknown as CredentialsFactory;
}
