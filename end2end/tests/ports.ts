// Loopback ports used by the end-to-end harness (chosen away from the demo's 3000).
export const APP_PORT = 3100;
/** The instance with MFA required and no task_urls (embedded task routes). */
export const MFA_APP_PORT = 3101;
export const MAIL_SMTP_PORT = 1125;
export const MAIL_WEB_PORT = 1180;
/** The instance with client trust on (a new browser must confirm an emailed code). */
export const TRUST_APP_PORT = 3102;
/** The OpenID provider (oidc-provider, default mode: claims from UserInfo) the instances' SSO connections point at. */
export const OIDC_PORT = 3190;
/** A second oidc-provider, started with --claims-in-id-token, for the "ID Token IdP" connection. */
export const OIDC_IDTOKEN_PORT = 3191;
/** examples/minimal, the second app built on the kit. */
export const MINIMAL_APP_PORT = 3103;
/** A PostgreSQL of the harness's own (scripts/postgres.sh), shared by the two instances below. */
export const PG_PORT = 3150;
/** Instance A on PostgreSQL. */
export const PG_APP_PORT = 3104;
/** Instance B on the same PostgreSQL database. */
export const PG_APP_B_PORT = 3105;
/** The instance with personal accounts allowed (organization sync: /orgs/:slug and /me). */
export const PERSONAL_APP_PORT = 3108;
/** The instance on `localhost` (WebAuthn refuses IP addresses): passkeys.spec.ts. */
export const PASSKEY_APP_PORT = 3109;
