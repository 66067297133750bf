//! Instance configuration: `gatehouse.toml` (path from `GATEHOUSE_CONFIG`, optional) with every
//! key overridable by `GATEHOUSE_<SECTION>__<KEY>`; validated at startup, errors name the key.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::model::TaskKey;

/// The whole configuration.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// URLs and redirect targets.
    pub instance: InstanceConfig,
    /// Organizations policy.
    pub organizations: OrganizationsConfig,
    /// Multi-factor policy.
    pub mfa: MfaConfig,
    /// Password policy.
    pub passwords: PasswordsConfig,
    /// Device (client) trust.
    pub client_trust: ClientTrustConfig,
    /// Account lockout.
    pub lockout: LockoutConfig,
    /// Per-IP rate limits on the auth endpoints.
    pub rate_limits: RateLimitsConfig,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: TrustedProxiesConfig,
    /// Session lifetime.
    pub sessions: SessionsConfig,
    /// Session tokens (JWT).
    pub tokens: TokensConfig,
    /// Email delivery.
    pub email: EmailConfig,
    /// Database (also `DATABASE_URL`).
    pub database: DatabaseConfig,
    /// Single sign-on (OpenID Connect connections).
    pub sso: SsoConfig,
    /// The user's own account page.
    pub account: AccountConfig,
    /// Passkeys (WebAuthn).
    pub passkeys: PasskeysConfig,
    /// The audit log (security activity).
    pub audit: AuditConfig,
}

/// `[audit]`
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuditConfig {
    /// Days a security event is kept (default 90); older ones are pruned with the counters.
    pub retention_days: u32,
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self { retention_days: 90 }
    }
}

/// `[passkeys]`
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PasskeysConfig {
    /// Offer passkeys: "Sign in with passkey" and "Add a passkey" (default on). They need a
    /// domain name in `instance.public_url` (`localhost` will do): browsers refuse WebAuthn on an
    /// IP address, so on one they stay hidden.
    pub enabled: bool,
    /// A passkey (which proves possession and user verification) also counts as the second
    /// factor: a user with an authenticator app is not asked for its code after one (default
    /// off: they are, as after a password).
    pub count_as_second_factor: bool,
}

impl Default for PasskeysConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            count_as_second_factor: false,
        }
    }
}

/// `[account]`
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AccountConfig {
    /// What the account page's sensitive changes (password, two-step verification, unlinking,
    /// revoking devices, deleting the account) require: `"strict"` (default), another preset, or
    /// `{ level = "first_factor", after_minutes = 1 }`.
    pub reverification: crate::model::Reverification,
}

/// `[instance]`
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InstanceConfig {
    /// Public origin of the app, e.g. `http://127.0.0.1:3000`.
    pub public_url: String,
    /// Where signed-out users are sent.
    pub sign_in_url: String,
    /// The sign-up page.
    pub sign_up_url: String,
    /// Default target after sign-in.
    pub after_sign_in_url: String,
    /// Default target after sign-up.
    pub after_sign_up_url: String,
    /// Target after sign-out.
    pub after_sign_out_url: String,
    /// Task key → page that hosts the task (wins over `navigate`).
    pub task_urls: BTreeMap<String, String>,
    /// Other origins allowed as redirect targets and request origins.
    pub authorized_parties: Vec<String>,
    /// Mark cookies `Secure` with the `__Host-` prefix (default: when `public_url` is https).
    pub secure_cookies: Option<bool>,
}

impl Default for InstanceConfig {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:3000".into(),
            sign_in_url: "/sign-in".into(),
            sign_up_url: "/sign-up".into(),
            after_sign_in_url: "/dashboard".into(),
            after_sign_up_url: "/dashboard".into(),
            after_sign_out_url: "/".into(),
            task_urls: BTreeMap::new(),
            authorized_parties: Vec::new(),
            secure_cookies: None,
        }
    }
}

impl InstanceConfig {
    /// `scheme://host[:port]` of `public_url`.
    pub fn origin(&self) -> String {
        let url = self.public_url.trim_end_matches('/');
        match url.find("://") {
            Some(i) => match url[i + 3..].find('/') {
                Some(j) => url[..i + 3 + j].to_string(),
                None => url.to_string(),
            },
            None => url.to_string(),
        }
    }

    /// The WebAuthn relying party id: `public_url`'s host when it is a domain name, `None` on an
    /// IP address (browsers refuse WebAuthn there).
    pub fn passkey_rp_id(&self) -> Option<String> {
        let origin = self.origin();
        let host = origin.split_once("://")?.1;
        let host = match host.rsplit_once(':') {
            Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
            _ => host,
        };
        let is_ip = host.starts_with('[') || host.parse::<std::net::IpAddr>().is_ok();
        (!host.is_empty() && !is_ip).then(|| host.to_ascii_lowercase())
    }

    /// Whether cookies are `Secure` and `__Host-` prefixed.
    pub fn secure_cookies(&self) -> bool {
        self.secure_cookies
            .unwrap_or_else(|| self.public_url.starts_with("https://"))
    }

    /// The configured task URLs, parsed.
    pub fn task_url_map(&self) -> BTreeMap<TaskKey, String> {
        self.task_urls
            .iter()
            .filter_map(|(key, url)| TaskKey::parse(key).map(|task| (task, url.clone())))
            .collect()
    }
}

/// `[organizations]`
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OrganizationsConfig {
    /// Organizations on.
    pub enabled: bool,
    /// Personal accounts allowed (default: off when organizations are on).
    pub allow_personal_accounts: Option<bool>,
    /// Users may create organizations (default on).
    pub allow_creation: Option<bool>,
    /// Custom roles (`org:<role>`) and extra permissions for the system roles:
    /// role → `org:<feature>:<perm>` permissions.
    pub roles: BTreeMap<String, Vec<String>>,
    /// Days an invitation's link works (30 by default, as Clerk's).
    pub invitation_expiry_days: u32,
    /// Members plus pending invitations an organization may have at most (no limit unless set).
    pub max_memberships: Option<u32>,
}

impl Default for OrganizationsConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            allow_personal_accounts: None,
            allow_creation: None,
            roles: BTreeMap::new(),
            invitation_expiry_days: 30,
            max_memberships: None,
        }
    }
}

impl OrganizationsConfig {
    /// Whether users may create organizations.
    pub fn creation_allowed(&self) -> bool {
        self.allow_creation.unwrap_or(true)
    }

    /// Whether the given role exists (system or custom).
    pub fn role_exists(&self, role: &str) -> bool {
        role == crate::model::ROLE_ADMIN
            || role == crate::model::ROLE_MEMBER
            || self.roles.contains_key(role)
    }
}

/// `[mfa]`
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MfaConfig {
    /// Every user must set up a second factor (`setup-mfa` task).
    pub required: bool,
}

/// `[passwords]`
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PasswordsConfig {
    /// Reject passwords found in the offline compromised list.
    pub reject_compromised: bool,
    /// Hashes running at once (bounds memory: each argon2 hash takes 19 MiB, and CPU: the
    /// default, half the cores, leaves the rest for page requests while sign-ins pour in).
    pub hash_concurrency: usize,
}

impl Default for PasswordsConfig {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Self {
            reject_compromised: true,
            hash_concurrency: (cores / 2).max(1),
        }
    }
}

/// `[client_trust]`
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClientTrustConfig {
    /// Ask for an emailed code when a password sign-in comes from an unfamiliar browser.
    pub enabled: bool,
}

/// `[lockout]`
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LockoutConfig {
    /// Failed attempts before the account locks.
    pub max_attempts: u32,
    /// How long a lock lasts.
    pub duration_minutes: i64,
}

impl Default for LockoutConfig {
    fn default() -> Self {
        Self {
            max_attempts: 10,
            duration_minutes: 60,
        }
    }
}

/// `[rate_limits]`: per client IP, per auth endpoint, in fixed windows counted in the database.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitsConfig {
    /// Whether the limits apply.
    pub enabled: bool,
    /// Requests allowed per IP and endpoint in one window.
    pub max_requests: u32,
    /// Window length.
    pub window_seconds: i64,
}

impl Default for RateLimitsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            max_requests: 30,
            window_seconds: 60,
        }
    }
}

/// `[trusted_proxies]`: `X-Forwarded-For` is believed only from these peers.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrustedProxiesConfig {
    /// IP addresses of the proxies in front of the server (e.g. `["127.0.0.1"]`).
    pub addresses: Vec<std::net::IpAddr>,
}

/// `[sessions]`
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SessionsConfig {
    /// Maximum session lifetime.
    pub lifetime_days: i64,
    /// Several accounts in one browser: signing in keeps the client's other sessions, and
    /// `<UserButton/>` switches between them (default off: a sign-in ends the client's earlier
    /// session).
    pub multi_session: bool,
}

impl Default for SessionsConfig {
    fn default() -> Self {
        Self {
            lifetime_days: 7,
            multi_session: false,
        }
    }
}

/// `[tokens]`
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TokensConfig {
    /// Session token (JWT) lifetime (60 s, as Clerk's).
    pub lifetime_seconds: i64,
    /// JWT templates by name (`get_token_with(name)`).
    pub templates: BTreeMap<String, TokenTemplateConfig>,
}

impl Default for TokensConfig {
    fn default() -> Self {
        Self {
            lifetime_seconds: 60,
            templates: BTreeMap::new(),
        }
    }
}

/// The longest token lifetime accepted (a day): tokens are checked without the database, so
/// a long one outlives a revoked session.
pub const TOKEN_MAX_LIFETIME_SECONDS: i64 = 24 * 3600;

/// `[tokens.templates.<name>]`: a token for another service, with claims of its own.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TokenTemplateConfig {
    /// Lifetime; `tokens.lifetime_seconds` when absent.
    pub lifetime_seconds: Option<i64>,
    /// Claims as JSON values; strings may hold shortcodes (`{{user.id}}`, `{{org.slug}}`…).
    pub claims: serde_json::Map<String, serde_json::Value>,
}

impl TokensConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        let lifetime_ok = |seconds: i64| (1..=TOKEN_MAX_LIFETIME_SECONDS).contains(&seconds);
        if !lifetime_ok(self.lifetime_seconds) {
            return Err(ConfigError(format!(
                "tokens.lifetime_seconds: between 1 and {TOKEN_MAX_LIFETIME_SECONDS}"
            )));
        }
        for (name, template) in &self.templates {
            let at = format!("tokens.templates.{name}");
            if name.is_empty()
                || name.len() > 64
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return Err(ConfigError(format!(
                    "{at}: template names are 1-64 letters, digits, _ and -"
                )));
            }
            if template
                .lifetime_seconds
                .is_some_and(|seconds| !lifetime_ok(seconds))
            {
                return Err(ConfigError(format!(
                    "{at}.lifetime_seconds: between 1 and {TOKEN_MAX_LIFETIME_SECONDS}"
                )));
            }
            crate::token_template::validate(&template.claims)
                .map_err(|error| ConfigError(format!("{at}.{error}")))?;
        }
        Ok(())
    }
}

/// `[email]`
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmailConfig {
    /// lettre SMTP URL (`smtp://127.0.0.1:1025`); unset → outbox folder.
    pub smtp_url: Option<String>,
    /// Folder receiving `.eml` files when no SMTP URL is set.
    pub outbox_dir: String,
    /// Sender address.
    pub from: String,
}

impl Default for EmailConfig {
    fn default() -> Self {
        Self {
            smtp_url: None,
            outbox_dir: "data/outbox".into(),
            from: "Gatehouse <no-reply@gatehouse.local>".into(),
        }
    }
}

/// `[database]`
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// The store: `sqlite://path` (the default) or `postgres://…`; `DATABASE_URL` wins.
    pub url: String,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: "sqlite://data/gatehouse.db?mode=rwc".into(),
        }
    }
}

/// `[sso]`
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SsoConfig {
    /// `[[sso.connections]]`, in the order their buttons appear.
    pub connections: Vec<SsoConnectionConfig>,
}

/// One `[[sso.connections]]` entry: an OpenID Connect provider.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SsoConnectionConfig {
    /// Short name in URLs (`/sso/callback/<key>`) and strategies (`oauth_<key>`).
    pub key: String,
    /// Shown on the button: "Continue with <name>".
    pub name: String,
    /// The provider's issuer URL (discovery at `<issuer>/.well-known/openid-configuration`).
    pub issuer: String,
    /// The client id registered at the provider.
    pub client_id: String,
    /// The client secret registered at the provider.
    pub client_secret: crate::secret::Secret<String>,
    /// Scopes asked for (default `openid email profile`).
    #[serde(default = "default_sso_scopes")]
    pub scopes: Vec<String>,
    /// Email domains whose users this (enterprise) connection signs in; empty for a social
    /// connection, which gets a button instead.
    #[serde(default)]
    pub domains: Vec<String>,
    /// Whether the provider's `email_verified: true` links its identity to the existing user
    /// with that email (default `true`, as Clerk does for Google; an enterprise connection can
    /// only ever vouch for addresses at its own `domains`). With `false`, an identity whose
    /// email already has an account is refused instead of linked.
    #[serde(default = "default_true")]
    pub trust_email_verified: bool,
}

fn default_true() -> bool {
    true
}

impl SsoConnectionConfig {
    /// Whether this connection may sign in or create the user of `email`: any address for a
    /// social connection, only addresses at its own `domains` for an enterprise one (the
    /// customer's IdP vouches for its own people, never for another company's).
    pub fn may_vouch_for(&self, email: &str) -> bool {
        self.domains.is_empty()
            || crate::model::email_domain(email)
                .is_some_and(|domain| self.domains.contains(&domain))
    }
}

fn default_sso_scopes() -> Vec<String> {
    ["openid", "email", "profile"].map(String::from).to_vec()
}

impl SsoConfig {
    /// The connection named `key`.
    pub fn connection(&self, key: &str) -> Option<&SsoConnectionConfig> {
        self.connections
            .iter()
            .find(|connection| connection.key == key)
    }

    /// The enterprise connection for the domain of `email`, if any.
    pub fn enterprise_for_email(&self, email: &str) -> Option<&SsoConnectionConfig> {
        let domain = crate::model::email_domain(email)?;
        self.connections
            .iter()
            .find(|connection| connection.domains.contains(&domain))
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let mut keys = std::collections::BTreeSet::new();
        for (index, connection) in self.connections.iter().enumerate() {
            let at = format!("sso.connections[{index}]");
            let key = &connection.key;
            if key.is_empty()
                || key.len() > 32
                || !key
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
            {
                return Err(ConfigError(format!(
                    "{at}.key: 1-32 lowercase letters, digits, _ and -, got {key:?}"
                )));
            }
            if !keys.insert(key.as_str()) {
                return Err(ConfigError(format!("{at}.key: {key:?} is used twice")));
            }
            if connection.name.trim().is_empty() {
                return Err(ConfigError(format!("{at}.name: empty")));
            }
            if !(connection.issuer.starts_with("https://")
                || connection.issuer.starts_with("http://"))
            {
                return Err(ConfigError(format!(
                    "{at}.issuer: expected an http(s) URL, got {:?}",
                    connection.issuer
                )));
            }
            if connection.client_id.is_empty() {
                return Err(ConfigError(format!("{at}.client_id: empty")));
            }
            if !connection.scopes.iter().any(|scope| scope == "openid") {
                return Err(ConfigError(format!("{at}.scopes: must include \"openid\"")));
            }
            for domain in &connection.domains {
                if domain.is_empty()
                    || domain.contains('@')
                    || domain.contains('/')
                    || *domain != domain.to_ascii_lowercase()
                {
                    return Err(ConfigError(format!(
                        "{at}.domains: {domain:?} is not a lowercase domain name"
                    )));
                }
            }
        }
        Ok(())
    }
}

/// A configuration error; the message names the key.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {0}")]
pub struct ConfigError(pub String);

impl Config {
    /// Loads the configuration from `GATEHOUSE_CONFIG` (optional), the environment and
    /// `DATABASE_URL`.
    pub fn load() -> Result<Self, ConfigError> {
        let vars: Vec<(String, String)> = std::env::vars().collect();
        let file =
            match std::env::var("GATEHOUSE_CONFIG") {
                Ok(path) => Some(std::fs::read_to_string(&path).map_err(|e| {
                    ConfigError(format!("GATEHOUSE_CONFIG: cannot read {path}: {e}"))
                })?),
                Err(_) => None,
            };
        Self::from_sources(file.as_deref(), &vars)
    }

    /// Builds the configuration from a TOML text and environment variables (testable).
    pub fn from_sources(
        toml_text: Option<&str>,
        env: &[(String, String)],
    ) -> Result<Self, ConfigError> {
        let mut table: toml::Table = match toml_text {
            Some(text) => text
                .parse()
                .map_err(|e: toml::de::Error| ConfigError(format!("gatehouse.toml: {e}")))?,
            None => toml::Table::new(),
        };
        // Check the file alone first, so an error is blamed on the file, then each variable.
        let mut config = match toml_text {
            Some(text) => toml::from_str::<Config>(text)
                .map_err(|e| ConfigError(format!("gatehouse.toml: {e}")))?,
            None => Config::default(),
        };
        let mut overrides: Vec<&(String, String)> = env
            .iter()
            .filter(|(name, _)| name.starts_with("GATEHOUSE_") && name != "GATEHOUSE_CONFIG")
            .collect();
        overrides.sort();
        for (name, raw) in overrides {
            let path = &name["GATEHOUSE_".len()..];
            let Some((section, key)) = path.split_once("__") else {
                return Err(ConfigError(format!(
                    "{name}: expected GATEHOUSE_<SECTION>__<KEY>"
                )));
            };
            let section = section.to_ascii_lowercase();
            let key = key.to_ascii_lowercase();
            let entry = table
                .entry(section.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            let Some(section_table) = entry.as_table_mut() else {
                return Err(ConfigError(format!("{name}: [{section}] is not a section")));
            };
            section_table.insert(key.clone(), env_value(raw));
            config = decode(&table)
                .map_err(|e| ConfigError(format!("{name} ({section}.{key}): {e}")))?;
        }
        if let Some((_, url)) = env.iter().find(|(name, _)| name == "DATABASE_URL") {
            config.database.url = url.clone();
        }
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let instance = &self.instance;
        if !(instance.public_url.starts_with("http://")
            || instance.public_url.starts_with("https://"))
        {
            return Err(ConfigError(format!(
                "instance.public_url: expected an http(s) URL, got {:?}",
                instance.public_url
            )));
        }
        for (key, value) in [
            ("instance.sign_in_url", &instance.sign_in_url),
            ("instance.sign_up_url", &instance.sign_up_url),
            ("instance.after_sign_in_url", &instance.after_sign_in_url),
            ("instance.after_sign_up_url", &instance.after_sign_up_url),
            ("instance.after_sign_out_url", &instance.after_sign_out_url),
        ] {
            if !value.starts_with('/') || value.starts_with("//") {
                return Err(ConfigError(format!(
                    "{key}: expected a path starting with /, got {value:?}"
                )));
            }
        }
        for (key, url) in &instance.task_urls {
            if TaskKey::parse(key).is_none() {
                return Err(ConfigError(format!(
                    "instance.task_urls.{key}: unknown task (expected reset-password, setup-mfa or choose-organization)"
                )));
            }
            if !url.starts_with('/') || url.starts_with("//") {
                return Err(ConfigError(format!(
                    "instance.task_urls.{key}: expected a path starting with /, got {url:?}"
                )));
            }
        }
        let custom_roles = self
            .organizations
            .roles
            .keys()
            .filter(|role| !self.organizations.role_exists_as_system(role))
            .count();
        if custom_roles > 10 {
            return Err(ConfigError(
                "organizations.roles: at most 10 custom roles".into(),
            ));
        }
        for (role, permissions) in &self.organizations.roles {
            if !is_key(role, 2) {
                return Err(ConfigError(format!(
                    "organizations.roles.{role}: role keys look like org:<role> (lowercase letters, digits, _ and -)"
                )));
            }
            for permission in permissions {
                if !is_key(permission, 3) || permission.starts_with("org:sys_") {
                    return Err(ConfigError(format!(
                        "organizations.roles.{role}: {permission:?} is not a custom permission (org:<feature>:<perm>)"
                    )));
                }
            }
        }
        if !(1..=365).contains(&self.organizations.invitation_expiry_days) {
            return Err(ConfigError(
                "organizations.invitation_expiry_days: must be between 1 and 365".into(),
            ));
        }
        if self.organizations.max_memberships == Some(0) {
            return Err(ConfigError(
                "organizations.max_memberships: must be at least 1 (leave it out for no limit)"
                    .into(),
            ));
        }
        self.sso.validate()?;
        self.tokens.validate()?;
        if !self.account.reverification.is_valid() {
            return Err(ConfigError(format!(
                "account.reverification: after_minutes must be between 1 and {}",
                crate::model::REVERIFICATION_MAX_MINUTES - 1
            )));
        }
        if self.passwords.hash_concurrency == 0 {
            return Err(ConfigError(
                "passwords.hash_concurrency: must be at least 1".into(),
            ));
        }
        if self.lockout.max_attempts == 0 || self.lockout.duration_minutes <= 0 {
            return Err(ConfigError(
                "lockout: max_attempts and duration_minutes must be positive".into(),
            ));
        }
        if self.rate_limits.max_requests == 0 || self.rate_limits.window_seconds <= 0 {
            return Err(ConfigError(
                "rate_limits: max_requests and window_seconds must be positive".into(),
            ));
        }
        if self.sessions.lifetime_days <= 0 {
            return Err(ConfigError(
                "sessions.lifetime_days: must be positive".into(),
            ));
        }
        if let Some(url) = &self.email.smtp_url {
            if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
                return Err(ConfigError(format!(
                    "email.smtp_url: expected smtp:// or smtps://, got {url:?}"
                )));
            }
        }
        Ok(())
    }

    /// Whether passkeys are offered: on, and `public_url` names a domain.
    pub fn passkeys_available(&self) -> bool {
        self.passkeys.enabled && self.instance.passkey_rp_id().is_some()
    }

    /// Whether the `choose-organization` task applies to sessions without an active org.
    pub fn organizations_required(&self) -> bool {
        self.organizations.enabled && !self.organizations.allow_personal_accounts.unwrap_or(false)
    }
}

/// `org:a` (2 parts) or `org:a:b` (3 parts), lowercase letters, digits, `_` and `-`.
fn is_key(value: &str, parts: usize) -> bool {
    let pieces: Vec<&str> = value.split(':').collect();
    pieces.len() == parts
        && pieces.first() == Some(&"org")
        && pieces.iter().skip(1).all(|piece| {
            !piece.is_empty()
                && piece.len() <= 64
                && piece
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
        })
}

impl OrganizationsConfig {
    fn role_exists_as_system(&self, role: &str) -> bool {
        role == crate::model::ROLE_ADMIN || role == crate::model::ROLE_MEMBER
    }
}

fn decode(table: &toml::Table) -> Result<Config, String> {
    // Round-trip through text so serde's errors carry toml's key path.
    let text = toml::to_string(table).map_err(|e| e.to_string())?;
    toml::from_str::<Config>(&text).map_err(|e| e.message().to_string())
}

/// An environment value as TOML when it parses as one (`true`, `3`, `["a"]`, `{…}`), else a string.
fn env_value(raw: &str) -> toml::Value {
    let doc = format!("v = {raw}");
    match doc.parse::<toml::Table>() {
        Ok(mut parsed) => parsed
            .remove("v")
            .unwrap_or_else(|| toml::Value::String(raw.to_string())),
        Err(_) => toml::Value::String(raw.to_string()),
    }
}
