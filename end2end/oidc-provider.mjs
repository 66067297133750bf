// A real OpenID provider on loopback (panva's certified `oidc-provider`) for the end-to-end
// suite and the demo: discovery, JWKS, authorization code with PKCE, and its own development
// login and consent pages.
//
// Usage: node end2end/oidc-provider.mjs [--claims-in-id-token] <port> <app-origin>...
//
// By default it runs in oidc-provider's default, spec-conforming mode: with the authorization
// code flow the ID token carries only `sub` (and the protocol claims), and the email and names
// are given by the UserInfo endpoint (OpenID Connect Core §5.4). Two clients are registered for
// every app origin given:
//  - "gatehouse-social" (secret "social-secret"), callback <origin>/sso/callback/testidp;
//  - "gatehouse-acme" (secret "acme-secret"), callback <origin>/sso/callback/acme (the
//    enterprise connection for @acme.test).
// With --claims-in-id-token it mimics the hosted IdPs that also put the scope claims in the ID
// token (`conformIdTokenClaims: false`), and registers one client instead, for every origin:
//  - "gatehouse-idtoken" (secret "idtoken-secret"), callback <origin>/sso/callback/idtoken.
// Any login works with any password. The login decides the account: an email address is used
// as it is (anything else becomes <login>@example.test); a login containing "unverified" gets
// `email_verified: false`; a login containing "noemail" gets no email at all; the subject is the
// login.
import Provider from 'oidc-provider';

const args = process.argv.slice(2);
const claimsInIdToken = args[0] === '--claims-in-id-token';
const [portArg, ...origins] = claimsInIdToken ? args.slice(1) : args;
const port = Number(portArg);
if (!port || origins.length === 0) {
  console.error('usage: node end2end/oidc-provider.mjs [--claims-in-id-token] <port> <app-origin>...');
  process.exit(2);
}

const callbacks = (key) => origins.map((origin) => `${origin.replace(/\/$/, '')}/sso/callback/${key}`);

function account(login) {
  const email = login.includes('@') ? login.toLowerCase() : `${login.toLowerCase()}@example.test`;
  const [name] = email.split('@');
  return {
    // The development login makes the typed login the account id; it is also the subject.
    accountId: login,
    async claims() {
      const names = { given_name: name.charAt(0).toUpperCase() + name.slice(1), family_name: 'Tester' };
      if (login.includes('noemail')) return { sub: login, ...names };
      return { sub: login, email, email_verified: !login.includes('unverified'), ...names };
    },
  };
}

const client = (client_id, client_secret, key) => ({
  client_id,
  client_secret,
  redirect_uris: callbacks(key),
  grant_types: ['authorization_code'],
  response_types: ['code'],
});

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: claimsInIdToken
    ? [client('gatehouse-idtoken', 'idtoken-secret', 'idtoken')]
    : [client('gatehouse-social', 'social-secret', 'testidp'), client('gatehouse-acme', 'acme-secret', 'acme')],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['given_name', 'family_name'],
  },
  // Left at its default (true) unless asked: then the scope claims go in the ID token too.
  ...(claimsInIdToken ? { conformIdTokenClaims: false } : {}),
  pkce: { required: () => true },
  findAccount: (_ctx, id) => account(id),
  // Cookies ignore the port: in one browser, signing in at one of two such providers may end the
  // other's session with that browser (its login page is shown again).
  cookies: { keys: ['gatehouse-end2end-only'] },
});
provider.on('server_error', (_ctx, error) => console.error('oidc-provider server_error:', error));

provider.listen(port, '127.0.0.1', () => {
  const mode = claimsInIdToken ? 'claims in the ID token' : 'default mode';
  console.log(`oidc-provider (${mode}) listening on http://127.0.0.1:${port}`);
});
