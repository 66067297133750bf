//! The emails the rules send: their texts, handed to the `Mail` port.

use super::ports::OutgoingEmail;
use crate::config::InstanceConfig;

/// The sign-up verification code.
pub fn verification_code(to: &str, code: &str) -> OutgoingEmail {
    OutgoingEmail {
        kind: "verification_code",
        to: to.to_string(),
        subject: format!("{code} is your verification code"),
        text: format!(
            "Your verification code is: {code}\n\n\
             Enter it on the \"Verify your email\" page. It expires in 10 minutes.\n\
             If you did not request this, you can ignore this email.\n"
        ),
        code: Some(code.to_string()),
    }
}

/// Sent instead of a code when someone signs up with an address that already has an account.
pub fn sign_up_for_existing_account(to: &str, instance: &InstanceConfig) -> OutgoingEmail {
    OutgoingEmail {
        kind: "sign_up_for_existing_account",
        to: to.to_string(),
        subject: "Sign-up attempt with your email address".to_string(),
        text: format!(
            "Someone tried to create an account with this email address, but you already have one.\n\n\
             If it was you, sign in instead: {}{}\n\
             If it was not you, you can ignore this email; your account is unchanged.\n",
            instance.public_url.trim_end_matches('/'),
            instance.sign_in_url
        ),
        code: None,
    }
}

/// The client-trust code: a valid password from a browser that never held this user's session.
pub fn client_trust_code(to: &str, code: &str) -> OutgoingEmail {
    OutgoingEmail {
        kind: "client_trust_code",
        to: to.to_string(),
        subject: format!("{code} is your verification code"),
        text: format!(
            "You're signing in from a new device. Your verification code is: {code}\n\n\
             Enter it on the \"Check your email\" page. It expires in 10 minutes.\n\
             If this was not you, change your password: someone knows it.\n"
        ),
        code: Some(code.to_string()),
    }
}

/// The code that re-verifies a session of a user without a password, before a sensitive change.
pub fn reverification_code(to: &str, code: &str) -> OutgoingEmail {
    OutgoingEmail {
        kind: "reverification_code",
        to: to.to_string(),
        subject: format!("{code} is your verification code"),
        text: format!(
            "Your verification code is: {code}\n\n\
             Enter it where you were asked to confirm it's you. It expires in 10 minutes.\n\
             If you did not request this, someone may be using your account: sign out of your\n\
             other devices from your account page.\n"
        ),
        code: Some(code.to_string()),
    }
}

/// The password-reset code ("Forgot password?").
pub fn reset_password_code(to: &str, code: &str) -> OutgoingEmail {
    OutgoingEmail {
        kind: "reset_password_code",
        to: to.to_string(),
        subject: format!("{code} is your password reset code"),
        text: format!(
            "Your password reset code is: {code}\n\n\
             Enter it on the \"Check your email\" page. It expires in 10 minutes.\n\
             If you did not ask to reset your password, you can ignore this email.\n"
        ),
        code: Some(code.to_string()),
    }
}

/// An invitation to an organization: its link (carrying the ticket) works once, until it
/// expires in `expiry_days`.
pub fn organization_invitation(
    to: &str,
    organization: &str,
    link: &str,
    expiry_days: u32,
) -> OutgoingEmail {
    OutgoingEmail {
        kind: "organization_invitation",
        to: to.to_string(),
        subject: format!("You're invited to join {organization}"),
        text: format!(
            "You have been invited to join {organization}.\n\n\
             Accept the invitation: {link}\n\n\
             The link works once and expires in {expiry_days} days. If you did not expect this\n\
             invitation, you can ignore this email.\n"
        ),
        code: None,
    }
}

/// The code that proves an organization's domain: sent to an address at it.
pub fn domain_affiliation_code(
    to: &str,
    organization: &str,
    domain: &str,
    code: &str,
) -> OutgoingEmail {
    OutgoingEmail {
        kind: "domain_affiliation_code",
        to: to.to_string(),
        subject: format!("{code} is your code to verify {domain}"),
        text: format!(
            "{organization} is verifying that {domain} belongs to it.\n\n\
             Your verification code: {code}\n\n\
             It expires in 10 minutes. If you did not expect this, ignore this email: nothing\n\
             changes without the code.\n"
        ),
        code: Some(code.to_string()),
    }
}

/// A security notice: what changed on the account (`subject`, `detail`), when and from which
/// browser.
pub fn security_notice(
    to: &str,
    subject: &str,
    detail: &str,
    when: &str,
    browser: &str,
    instance: &InstanceConfig,
) -> OutgoingEmail {
    OutgoingEmail {
        kind: "security_notice",
        to: to.to_string(),
        subject: subject.to_string(),
        text: format!(
            "{detail}\n\n\
             When: {when}\n\
             Browser: {browser}\n\n\
             If this was you, there is nothing to do.\n\
             If it was not you, reset your password now (\"Forgot password?\" on {}{}) and sign\n\
             out of your other devices from your account page.\n",
            instance.public_url.trim_end_matches('/'),
            instance.sign_in_url
        ),
        code: None,
    }
}
