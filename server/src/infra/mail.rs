//! Outgoing mail: to the SMTP server `email.smtp_url` names, or, without one, into
//! `data_dir/outbox/` as `.eml` files, so the embedded default keeps a readable log of what it
//! would have sent. Everything we mail (links to confirm an address or set a password, "your
//! game is ready") leaves through here.

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use crate::config::Config;

/// Why a message did not go out.
#[derive(Debug)]
pub struct SendFailed {
    pub message: String,
    /// Trying again cannot help (a dead subscription, a bad address): give up now.
    pub permanent: bool,
}

impl SendFailed {
    pub(crate) fn transient(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            permanent: false,
        }
    }

    pub(crate) fn permanent(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            permanent: true,
        }
    }
}

impl std::fmt::Display for SendFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Outbox(AsyncFileTransport<Tokio1Executor>),
}

pub struct Mailer {
    transport: Transport,
    from: Mailbox,
}

impl Mailer {
    pub fn new(config: &Config) -> anyhow::Result<Self> {
        let transport = match &config.email.smtp_url {
            Some(url) => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
                    .map_err(|e| anyhow::anyhow!("email.smtp_url: {e}"))?
                    .build(),
            ),
            None => {
                let outbox = config.data_dir.join("outbox");
                std::fs::create_dir_all(&outbox).map_err(|e| {
                    anyhow::anyhow!("creating the outbox {}: {e}", outbox.display())
                })?;
                Transport::Outbox(AsyncFileTransport::new(outbox))
            }
        };
        let from: Mailbox = config
            .email
            .from
            .parse()
            .map_err(|e| anyhow::anyhow!("email.from: {e}"))?;
        Ok(Self { transport, from })
    }

    /// The sender's address.
    pub fn from(&self) -> &Mailbox {
        &self.from
    }

    /// Sends a plain-text message to `address`.
    pub async fn send_text(
        &self,
        address: &str,
        subject: &str,
        body: String,
    ) -> Result<(), SendFailed> {
        let to: Mailbox = address
            .parse()
            .map_err(|e| SendFailed::permanent(format!("address {address:?}: {e}")))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| SendFailed::permanent(e.to_string()))?;
        match &self.transport {
            Transport::Smtp(smtp) => smtp.send(message).await.map(drop).map_err(|e| {
                // A 5xx reply (mailbox unknown, message refused) will not change on retry.
                SendFailed {
                    permanent: e.is_permanent(),
                    message: e.to_string(),
                }
            }),
            Transport::Outbox(outbox) => outbox
                .send(message)
                .await
                .map(drop)
                .map_err(|e| SendFailed::transient(e.to_string())),
        }
    }
}
