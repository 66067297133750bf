//! Email delivery, the domain's `Mail` port: lettre's SMTP transport when `email.smtp_url` is
//! set, otherwise `.eml` files in the outbox folder with the code written to the server log. The
//! messages themselves are the domain's (`domain::emails`).

use std::sync::Arc;

use lettre::{
    message::Mailbox, AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message,
    Tokio1Executor,
};

use crate::{
    config::EmailConfig,
    domain::ports::{Mail, OutgoingEmail},
};

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

    /// Delivers `email` now, logging (not returning) failures.
    async fn deliver_now(&self, email: OutgoingEmail) {
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

#[async_trait::async_trait]
impl Mail for Mailer {
    async fn deliver(&self, email: OutgoingEmail) {
        self.deliver_now(email).await;
    }

    fn send(&self, email: OutgoingEmail) {
        let mailer = self.clone();
        tokio::spawn(async move { mailer.deliver_now(email).await });
    }
}
