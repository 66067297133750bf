//! The mail port: the domain writes its messages (`domain::emails`) and hands them to delivery;
//! the `mail` module delivers them (SMTP, or the development outbox).

/// A message ready to send. Its subject and text may carry a code, so they never reach a log
/// line: logs name the message by `kind`. `code` is only logged by the outbox (development)
/// transport.
#[derive(Clone)]
pub struct OutgoingEmail {
    /// What the message is (`verification_code`, …), for logs.
    pub kind: &'static str,
    /// Recipient address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// The verification code inside, if any (logged in outbox mode only).
    pub code: Option<String>,
}

impl std::fmt::Debug for OutgoingEmail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutgoingEmail")
            .field("kind", &self.kind)
            .field("to", &self.to)
            .field("subject", &"[redacted]")
            .field("text", &"[redacted]")
            .field("code", &self.code.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

/// Delivery of the domain's emails. A failure is logged, never returned or shown (nothing about
/// the recipient leaks).
#[async_trait::async_trait]
pub trait Mail: Send + Sync {
    /// Delivers `email` now: the caller waits (a sign-up answers the same whether it mailed a
    /// code or a notice to an existing account).
    async fn deliver(&self, email: OutgoingEmail);
    /// Hands `email` to delivery in the background: sending never slows the caller (a reset
    /// for an email without an account, which is sent nothing, answers in the same time).
    fn send(&self, email: OutgoingEmail);
}
