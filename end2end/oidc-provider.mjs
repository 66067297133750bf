// A real OpenID provider on loopback (panva's certified `oidc-provider`) for the end-to-end
// suite and the demo: discovery, JWKS, authorization code with PKCE, and its own development
// login and consent pages.
//
// Usage: node end2end/oidc-provider.mjs <port> <app-origin>...
// Two clients are registered for every app origin given:
//  - "gatehouse-social" (secret "social-secret"), callback <origin>/sso/callback/testidp;
//  - "gatehouse-acme" (secret "acme-secret"), callback <origin>/sso/callback/acme (the
//    enterprise connection for @acme.test).
// Any login works with any password. The login decides the account: an email address is used
// as it is (anything else becomes <login>@example.test); a login containing "unverified" gets
// `email_verified: false`; a login containing "noemail" gets no email at all; the subject is the
// login.
import Provider from 'oidc-provider';

const [portArg, ...origins] = process.argv.slice(2);
const port = Number(portArg);
if (!port || origins.length === 0) {
  console.error('usage: node end2end/oidc-provider.mjs <port> <app-origin>...');
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

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [
    {
      client_id: 'gatehouse-social',
      client_secret: 'social-secret',
      redirect_uris: callbacks('testidp'),
      grant_types: ['authorization_code'],
      response_types: ['code'],
    },
    {
      client_id: 'gatehouse-acme',
      client_secret: 'acme-secret',
      redirect_uris: callbacks('acme'),
      grant_types: ['authorization_code'],
      response_types: ['code'],
    },
  ],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['given_name', 'family_name'],
  },
  // The relying party reads the claims from the ID token.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  findAccount: (_ctx, id) => account(id),
  cookies: { keys: ['gatehouse-end2end-only'] },
});
provider.on('server_error', (_ctx, error) => console.error('oidc-provider server_error:', error));

provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on http://127.0.0.1:${port}`);
});
