//! Email delivery: lettre's SMTP transport when `email.smtp_url` is set, otherwise `.eml` files
//! in the outbox folder with the code written to the server log.

pub mod templates;

use std::sync::Arc;

use lettre::{
    message::Mailbox, AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message,
    Tokio1Executor,
};

use crate::config::EmailConfig;

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

#[derive(Clone)]
enum Transport {
    Smtp(Arc<AsyncSmtpTransport<Tokio1Executor>>),
    Outbox(Arc<AsyncFileTransport<Tokio1Executor>>, Arc<str>),
}

/// Sends email; failures are logged, never shown to the user (nothing about the recipient leaks).
/// Cloning it only counts references: the core it belongs to is cloned several times a request
/// (axum's layers clone the route handlers that hold it).
#[derive(Clone)]
pub struct Mailer {
    from: Arc<Mailbox>,
    transport: Transport,
}

impl Mailer {
    /// Builds the mailer from `[email]`. Must run inside the tokio runtime.
    pub fn from_config(config: &EmailConfig) -> Result<Self, String> {
        let from: Mailbox = config
            .from
            .parse()
            .map_err(|e| format!("email.from: {e}"))?;
        let transport = match &config.smtp_url {
            Some(url) => Transport::Smtp(Arc::new(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| format!("email.smtp_url: {e}"))?
                    .build(),
            )),
            None => {
                std::fs::create_dir_all(&config.outbox_dir)
                    .map_err(|e| format!("email.outbox_dir {}: {e}", config.outbox_dir))?;
                Transport::Outbox(
                    Arc::new(AsyncFileTransport::new(&config.outbox_dir)),
                    config.outbox_dir.as_str().into(),
                )
            }
        };
        Ok(Self {
            from: Arc::new(from),
            transport,
        })
    }

    /// Sends `email`, logging (not returning) failures.
    pub async fn send(&self, email: OutgoingEmail) {
        if let Err(error) = self.try_send(&email).await {
            tracing::error!(to = %email.to, kind = email.kind, %error, "email not sent");
        }
    }

    async fn try_send(&self, email: &OutgoingEmail) -> Result<(), String> {
        let to: Mailbox = email
            .to
            .parse()
            .map_err(|e| format!("bad recipient: {e}"))?;
        let message = Message::builder()
            .from(Mailbox::clone(&self.from))
            .to(to)
            .subject(email.subject.clone())
            .body(email.text.clone())
            .map_err(|e| e.to_string())?;
        match &self.transport {
            Transport::Smtp(smtp) => {
                smtp.send(message).await.map_err(|e| e.to_string())?;
                tracing::info!(to = %email.to, kind = email.kind, "email sent");
            }
            Transport::Outbox(outbox, dir) => {
                let id = outbox.send(message).await.map_err(|e| e.to_string())?;
                // Development transport: the code is logged so the demo works without a mail
                // server. The SMTP transport above never logs it.
                tracing::info!(
                    to = %email.to,
                    kind = email.kind,
                    code = email.code.as_deref().unwrap_or("-"),
                    file = %format!("{dir}/{id}.eml"),
                    "email written to outbox"
                );
            }
        }
        Ok(())
    }
}
