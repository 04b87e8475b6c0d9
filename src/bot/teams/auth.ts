/**
 * Bot Framework authentication for /api/messages. Production (MicrosoftAppId set) always
 * validates the channel's JWT: the credentials factory is wrapped so nothing injected can turn
 * validation off. Local mode has no JWT. Tests inject a factory whose outbound credentials need
 * no token service, so replies go only to the loopback connector.
 */
import { ConfigurationBotFrameworkAuthentication, ConfigurationServiceClientCredentialFactory } from 'botbuilder';
import type { AppConfig } from '../config';

/** botbuilder's ServiceClientCredentialsFactory, by shape (so callers need not import botbuilder). */
export type CredentialsFactory = NonNullable<ConstructorParameters<typeof ConfigurationBotFrameworkAuthentication>[1]>;
export type BotAuthentication = ConfigurationBotFrameworkAuthentication;

/** botframework-connector's AuthenticationConstants for the public cloud (not re-exported by botbuilder). */
const PUBLIC_CLOUD = {
  ToChannelFromBotLoginUrl: 'https://login.microsoftonline.com/botframework.com',
  ToChannelFromBotOAuthScope: 'https://api.botframework.com',
  ToBotFromChannelTokenIssuer: 'https://api.botframework.com',
  OAuthUrl: 'https://api.botframework.com',
  ToBotFromEmulatorOpenIdMetadataUrl: 'https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration',
  CallerId: 'urn:botframework:azure',
};

function productionGuard(inner: CredentialsFactory, appId: string): CredentialsFactory {
  return {
    // Only tokens minted for this bot are accepted, whatever the inner factory says.
    isValidAppId: async (id: string) => id === appId && (await inner.isValidAppId(id)),
    // Never disabled in production: this is what makes a missing token a 401.
    isAuthenticationDisabled: async () => false,
    createCredentials: (...args: Parameters<CredentialsFactory['createCredentials']>) => inner.createCredentials(...args),
  } as CredentialsFactory;
}

/** Builds botbuilder's authentication from our config (and an optional injected factory). */
export function createBotAuthentication(config: AppConfig, credentialsFactory?: CredentialsFactory): BotAuthentication {
  const { bot } = config;
  const settings: Record<string, string> = {};
  if (bot.appId) settings.MicrosoftAppId = bot.appId;
  if (bot.appTenantId) settings.MicrosoftAppTenantId = bot.appTenantId;
  if (bot.openIdMetadataUrl) {
    // botbuilder quirk: once any endpoint setting is given it takes ALL of them as given, leaving
    // the rest undefined (the channel token issuer included, which then matches no token).
    // So the override comes with the public-cloud values of the others.
    Object.assign(settings, PUBLIC_CLOUD, { ToBotFromChannelOpenIdMetadataUrl: bot.openIdMetadataUrl });
  }

  let factory: CredentialsFactory =
    credentialsFactory ??
    new ConfigurationServiceClientCredentialFactory(
      config.mode === 'production'
        ? {
            MicrosoftAppId: bot.appId ?? undefined,
            MicrosoftAppPassword: bot.appPassword ?? undefined,
            MicrosoftAppType: bot.appType ?? undefined,
            MicrosoftAppTenantId: bot.appTenantId ?? undefined,
          }
        : {},
    );
  if (config.mode === 'production') factory = productionGuard(factory, bot.appId!);
  return new ConfigurationBotFrameworkAuthentication(settings, factory);
}
