//! Sending over SMTP with lettre on rustls: Mozilla's root certificates (compiled in, the same
//! on every machine) plus, for a private server, the CAs of the file the command passes in
//! (`SSL_CERT_FILE`). Each recipient gets the message in a transaction of its own, so a refused
//! address costs only that delivery and the log can say exactly who got what.

use crate::progress::{Progress, Step, report};
use std::time::{Duration, SystemTime};

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{Address, SmtpTransport, Transport};

use super::mail::Letter;
use super::send_log::SendLog;
use crate::departments::export::Entry;
use crate::error::AppError;

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Plain text: only for a test server on this machine.
    None,
    /// Plain connection upgraded with STARTTLS, which the server must offer.
    StartTls,
    /// TLS from the first byte (usually port 465).
    Tls,
}

/// A password that never shows in `Debug` output.
pub struct Secret(String);

impl Secret {
    pub fn new(s: String) -> Secret {
        Secret(s)
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// The server and how to reach it.
#[derive(Debug)]
pub struct Server {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub login: Option<(String, Secret)>,
    pub timeout: Duration,
    /// Extra CA certificates (PEM) to trust besides the usual roots.
    pub extra_roots: Option<Vec<u8>>,
}

impl Server {
    /// `host:port`, for messages.
    pub fn name(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    fn transport(&self) -> Result<SmtpTransport, AppError> {
        let params = || {
            let mut b = TlsParameters::builder(self.host.clone());
            if let Some(pem) = &self.extra_roots {
                let cert = Certificate::from_pem(pem)
                    .map_err(|e| AppError::Usage(format!("the certificates of SSL_CERT_FILE cannot be read: {e}")))?;
                b = b.add_root_certificate(cert);
            }
            b.build_rustls().map_err(|e| AppError::Usage(format!("cannot set up TLS for {}: {e}", self.name())))
        };
        let tls = match self.security {
            Security::None => Tls::None,
            Security::StartTls => Tls::Required(params()?),
            Security::Tls => Tls::Wrapper(params()?),
        };
        let mut builder =
            SmtpTransport::builder_dangerous(&self.host).port(self.port).tls(tls).timeout(Some(self.timeout));
        if let Some((user, Secret(password))) = &self.login {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(builder.build())
    }
}

/// What happened to one manifest line.
#[derive(Debug)]
pub struct Outcome {
    pub entry: Entry,
    /// Recipient and the server's reply.
    pub delivered: Vec<(String, String)>,
    /// Recipients the log says already have this file.
    pub skipped: Vec<String>,
    /// Recipient and why not.
    pub failed: Vec<(String, String)>,
}

/// Sends every letter to every recipient the log does not list (all of them with `resend`),
/// recording each accepted delivery at once. One recipient's failure does not stop the others;
/// a failed login stops everything before anything is sent.
pub fn deliver(
    server: &Server,
    sender: &Address,
    letters: &[Letter],
    log: &mut SendLog,
    resend: bool,
    progress: Option<&Progress>,
) -> Result<Vec<Outcome>, AppError> {
    let any = letters.iter().any(|l| l.recipients.iter().any(|r| resend || !log.delivered(r, &l.entry.sha256)));
    let transport = server.transport()?;
    if any {
        // Connect and log in once first: a wrong password or an unreachable server is one
        // message, not one per department.
        transport.test_connection().map_err(|e| connection_error(server, &e))?;
    }
    let mut outcomes = Vec::new();
    report(progress, Step::Stage("mail"));
    report(progress, Step::Count { done: 0, of: letters.len(), unit: "messages" });
    for (done, letter) in letters.iter().enumerate() {
        let mut outcome =
            Outcome { entry: letter.entry.clone(), delivered: Vec::new(), skipped: Vec::new(), failed: Vec::new() };
        for rcpt in &letter.recipients {
            if !resend && log.delivered(rcpt, &letter.entry.sha256) {
                outcome.skipped.push(rcpt.clone());
                continue;
            }
            let to = match rcpt.parse::<Address>() {
                Ok(a) => a,
                Err(e) => {
                    outcome.failed.push((rcpt.clone(), format!("not an address: {e}")));
                    continue;
                }
            };
            let envelope = Envelope::new(Some(sender.clone()), vec![to])
                .map_err(|e| AppError::Internal(format!("envelope for {rcpt}: {e}")))?;
            match transport.send_raw(&envelope, &letter.bytes) {
                Ok(response) => {
                    let reply = format!("{} {}", response.code(), response.message().collect::<Vec<_>>().join(" "));
                    log.record(&super::mail::utc_timestamp(SystemTime::now()), &letter.entry, rcpt, &reply)?;
                    outcome.delivered.push((rcpt.clone(), reply));
                }
                Err(e) => outcome.failed.push((rcpt.clone(), describe(&e))),
            }
        }
        outcomes.push(outcome);
        report(progress, Step::Count { done: done + 1, of: letters.len(), unit: "messages" });
    }
    Ok(outcomes)
}

/// A refused login: 530 (authentication required), 534/535/538 (mechanism, credentials, TLS).
fn is_auth(e: &lettre::transport::smtp::Error) -> bool {
    e.status().is_some_and(|c| matches!(c.to_string().as_str(), "530" | "534" | "535" | "538"))
}

fn connection_error(server: &Server, e: &lettre::transport::smtp::Error) -> AppError {
    if is_auth(e) {
        let user = server.login.as_ref().map(|(u, _)| u.clone());
        return AppError::SmtpAuth { server: server.name(), user, reply: describe(e) };
    }
    AppError::Smtp { server: server.name(), reason: describe(e) }
}

/// A failure in words an office can act on.
fn describe(e: &lettre::transport::smtp::Error) -> String {
    if e.is_timeout() {
        return format!("timed out ({e})");
    }
    if e.is_permanent() {
        return format!("refused: {e}");
    }
    if e.is_transient() {
        return format!("refused for now, try again later: {e}");
    }
    if e.is_tls() {
        return format!("TLS failed (is the certificate trusted? SSL_CERT_FILE adds a CA): {e}");
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        // lettre repeats its source in its own message; say each cause once.
        let said = s.to_string();
        if !text.contains(&said) {
            text.push_str(&format!(": {said}"));
        }
        source = s.source();
    }
    if text.contains("certificate") {
        text.push_str(" (a server with a certificate of its own CA: name the CA's PEM file in SSL_CERT_FILE)");
    }
    format!("connection failed: {text}")
}
