//! Security notices: the owner of an account is emailed when its password changes, a second
//! factor is added or removed, or an external account is linked (Clerk sends the same), saying
//! what changed, when and from which browser — so a takeover does not go unnoticed. Sent in the
//! background: a notice never slows or fails the change it reports.

use serde::{Deserialize, Serialize};

use super::{emails, Gatehouse, Timestamp};

/// The browser a change came from, as the request showed it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    /// Its `User-Agent` header.
    pub user_agent: Option<String>,
    /// Its IP address (the peer, or `X-Forwarded-For` from a trusted proxy).
    pub ip_address: Option<String>,
}

impl Device {
    /// "Chrome on Linux (203.0.113.7)", for people.
    pub fn describe(&self) -> String {
        let browser = describe_user_agent(self.user_agent.as_deref());
        match &self.ip_address {
            Some(ip) => format!("{browser} ({ip})"),
            None => browser,
        }
    }
}

/// A change the owner is told about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecurityNotice {
    /// The password was changed (account page, task, or "Forgot password?").
    PasswordChanged,
    /// An authenticator app was added.
    SecondFactorAdded,
    /// The authenticator app and backup codes were removed.
    SecondFactorRemoved,
    /// A passkey was added.
    PasskeyAdded {
        /// Its name.
        name: String,
    },
    /// A passkey was removed.
    PasskeyRemoved {
        /// Its name.
        name: String,
    },
    /// An external account (SSO) was linked.
    ExternalAccountLinked {
        /// The connection's display name ("Google").
        provider: String,
        /// The address the provider gave.
        email: Option<String>,
    },
}

impl SecurityNotice {
    /// What changed, as the email's subject says it.
    pub fn summary(&self) -> String {
        match self {
            Self::PasswordChanged => "Your password was changed".to_string(),
            Self::SecondFactorAdded => "Two-step verification was turned on".to_string(),
            Self::SecondFactorRemoved => "Two-step verification was turned off".to_string(),
            Self::PasskeyAdded { .. } => "A passkey was added to your account".to_string(),
            Self::PasskeyRemoved { .. } => "A passkey was removed from your account".to_string(),
            Self::ExternalAccountLinked { provider, .. } => {
                format!("A {provider} account was connected to your account")
            }
        }
    }

    /// The email's first paragraph.
    pub fn detail(&self) -> String {
        match self {
            Self::PasswordChanged => "The password of your account was changed.".to_string(),
            Self::SecondFactorAdded => "An authenticator app was added to your account: signing \
                                        in now also asks for its code."
                .to_string(),
            Self::SecondFactorRemoved => {
                "The authenticator app and backup codes of your account were removed.".to_string()
            }
            Self::PasskeyAdded { name } => {
                format!("A passkey ({name}) was added to your account: it can now sign you in.")
            }
            Self::PasskeyRemoved { name } => format!(
                "The passkey {name} was removed from your account: it no longer signs you in."
            ),
            Self::ExternalAccountLinked { provider, email } => format!(
                "A {provider} account{} was connected to your account: it can now sign you in.",
                email
                    .as_deref()
                    .map(|email| format!(" ({email})"))
                    .unwrap_or_default()
            ),
        }
    }
}

/// Emails `to` about `notice`, made at `at` from `device`, in the background.
pub fn send(
    gatehouse: &Gatehouse,
    to: &str,
    notice: &SecurityNotice,
    device: &Device,
    at: Timestamp,
) {
    let email = emails::security_notice(
        to,
        &notice.summary(),
        &notice.detail(),
        &format_utc(at),
        &device.describe(),
        &gatehouse.config.instance,
    );
    gatehouse.mailer.send(email);
}

/// "just now", "5 minutes ago", "3 hours ago", "2 days ago" (as in "Last active just now").
pub fn describe_last_active(at: Timestamp, now: Timestamp) -> String {
    let minutes = (now - at).max(0) / 60;
    let plural = |n: i64, unit: &str| format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" });
    match minutes {
        0 => "just now".to_string(),
        1..=59 => plural(minutes, "minute"),
        60..=1439 => plural(minutes / 60, "hour"),
        _ => plural(minutes / 1440, "day"),
    }
}

/// `2026-12-07 04:01 UTC` (the proleptic Gregorian calendar, from days since the epoch).
pub fn format_utc(at: Timestamp) -> String {
    let days = at.div_euclid(86_400);
    let seconds = at.rem_euclid(86_400);
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        seconds / 3_600,
        seconds % 3_600 / 60
    )
}

/// "Chrome on Linux": the browser and system a user agent names, for people rather than
/// statistics (the common browsers only; anything else is "Unknown browser").
pub fn describe_user_agent(user_agent: Option<&str>) -> String {
    let Some(agent) = user_agent.filter(|agent| !agent.trim().is_empty()) else {
        return "Unknown browser".to_string();
    };
    // Order matters: Edge and Opera also say Chrome; Chrome also says Safari.
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("HeadlessChrome/", "Chrome"),
        ("Chrome/", "Chrome"),
        ("CriOS/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
    ]
    .iter()
    .find(|(marker, _)| agent.contains(marker))
    .map_or("Unknown browser", |(_, name)| name);
    let system = [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(marker, _)| agent.contains(marker))
    .map(|(_, name)| *name);
    match system {
        Some(system) => format!("{browser} on {system}"),
        None => browser.to_string(),
    }
}
