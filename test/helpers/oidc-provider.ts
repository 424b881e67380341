import http from 'node:http';
import { createSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import type { HasAfter } from './build.js';

/**
 * A real OpenID provider (npm `oidc-provider`, certified) on a loopback port for the OIDC
 * tests, with a scripted user agent. Its login/consent interaction is answered in code for
 * `provider.nextAccount`. `tamperIdToken`, when set, rewrites the ID token of the next token
 * response and re-signs it with the provider's own key, as a provider with a bug or a
 * hostile one could: the client must reject it on the claims alone.
 */
export interface Account {
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
  roles?: string[];
}

export interface LocalProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  nextAccount: Account;
  tamperIdToken: ((claims: Record<string, unknown>) => Record<string, unknown>) | null;
  /** Follows the provider's redirects from our /login's Location to the redirect back; returns its query. */
  authorize(authorizationUrl: string): Promise<Record<string, string>>;
}

export async function startOidcProvider(t: HasAfter, redirectUri: string): Promise<LocalProvider> {
  const moduleName = 'oidc-provider';
  const { default: Provider } = (await import(moduleName)) as { default: any };
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', alg: 'RS256', use: 'sig' };

  let handler: http.RequestListener = (_req, res) => res.end();
  const server = http.createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const address = server.address();
  const issuer = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

  const state: LocalProvider = {
    issuer,
    clientId: 'carebridge',
    clientSecret: randomBytes(24).toString('base64url'),
    redirectUri,
    nextAccount: { sub: 'someone' },
    tamperIdToken: null,
    authorize: async () => ({}),
  };
  const accounts = new Map<string, Account>();

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: state.clientId,
        client_secret: state.clientSecret,
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(16).toString('hex')] },
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], roles: ['roles'] },
    scopes: ['openid', 'email', 'profile', 'roles'],
    // Put the scope's claims in the ID token (what openid-client reads), not only in userinfo.
    conformIdTokenClaims: false,
    findAccount: async (_ctx: unknown, id: string) => {
      const account = accounts.get(id);
      if (!account) return undefined;
      return { accountId: id, claims: async () => ({ ...account }) };
    },
  });

  // The interaction (login + consent) answered in code for nextAccount.
  provider.use(async (ctx: any, next: () => Promise<void>) => {
    if (ctx.path.startsWith('/interaction/')) {
      const details = await provider.interactionDetails(ctx.req, ctx.res);
      const account = state.nextAccount;
      accounts.set(account.sub, account);
      const grant = new provider.Grant({ accountId: account.sub, clientId: details.params.client_id });
      grant.addOIDCScope(String(details.params.scope));
      const grantId = await grant.save();
      ctx.redirect(
        await provider.interactionResult(ctx.req, ctx.res, { login: { accountId: account.sub }, consent: { grantId } }, { mergeWithLastSubmission: false }),
      );
      return;
    }
    await next();
    if (ctx.path === '/token' && state.tamperIdToken && ctx.body?.id_token) {
      const [, payload] = String(ctx.body.id_token).split('.');
      const claims = state.tamperIdToken(JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')));
      ctx.body = { ...ctx.body, id_token: signJwt(claims, privateKey) };
    }
  });
  handler = provider.callback();

  // A user agent with a cookie jar, following the provider's redirects until it leaves the provider.
  state.authorize = async (authorizationUrl: string) => {
    const cookies = new Map<string, string>();
    let url = authorizationUrl;
    for (let hop = 0; hop < 10; hop++) {
      if (!url.startsWith(issuer)) break;
      const res = await fetch(url, { redirect: 'manual', headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
      for (const line of res.headers.getSetCookie()) {
        const [pair] = line.split(';');
        const [name, ...value] = pair!.split('=');
        cookies.set(name!.trim(), value.join('='));
      }
      const location = res.headers.get('location');
      if (!location) throw new Error(`provider answered ${res.status} without a redirect: ${await res.text()}`);
      url = new URL(location, url).toString();
    }
    if (!url.startsWith(redirectUri)) throw new Error(`the provider did not redirect back: ${url}`);
    return Object.fromEntries(new URL(url).searchParams);
  };
  return state;
}

function signJwt(claims: Record<string, unknown>, key: import('node:crypto').KeyObject): string {
  const header = Buffer.from(JSON.stringify({ alg: 'RS256', kid: 'test-key', typ: 'JWT' })).toString('base64url');
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const signature = createSign('RSA-SHA256').update(`${header}.${body}`).sign(key).toString('base64url');
  return `${header}.${body}.${signature}`;
}
