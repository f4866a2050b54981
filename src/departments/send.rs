//! Sending over SMTP with lettre on rustls: Mozilla's root certificates (compiled in, the same
//! on every machine) plus, for a private server, the CAs of the file the command passes in
//! (`SSL_CERT_FILE`). Each recipient gets the message in a connection of its own, so a refused
//! address costs only that delivery and the log can say exactly who got what.
//!
//! At most once: the send log gets the intent (flushed to disk) before a delivery starts and
//! its outcome after. The commands of a delivery are sent one by one (lettre's connection, not
//! its transport) so that the outcome is known exactly: anything that goes wrong before the
//! message's final `.` means not delivered; a lost or late reply after it means "may have been
//! delivered", which is never resent without `--resend`. When the log cannot be written,
//! nothing more is sent.

use crate::progress::{Progress, Step, report};
use std::time::Duration;

use lettre::Address;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{Certificate, SmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};

use super::mail::Letter;
use super::send_log::{Event, Known, SendLog};
use crate::departments::manifest::Entry;
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

/// The extra CA certificates named by `SSL_CERT_FILE`: a file that holds no PEM certificate at
/// all (a DER file, a key, anything else) is refused here, naming the file, because lettre would
/// take it as an empty list and the server's certificate would then fail as "unknown issuer".
pub fn extra_roots(path: &std::path::Path) -> Result<Vec<u8>, AppError> {
    const LABEL: &[u8] = b"-----BEGIN CERTIFICATE-----";
    let pem = std::fs::read(path).map_err(|source| AppError::Io {
        action: "read the CA certificates named by SSL_CERT_FILE",
        path: path.to_path_buf(),
        source,
    })?;
    if !pem.windows(LABEL.len()).any(|w| w == LABEL) {
        return Err(AppError::Usage(format!(
            "`{}`, named by SSL_CERT_FILE, holds no PEM certificate (no `-----BEGIN CERTIFICATE-----` line); name \
             the CA's certificate in PEM form (a binary DER one converts with `openssl x509 -inform der -in FILE \
             -out FILE.pem`)",
            path.display()
        )));
    }
    Ok(pem)
}

impl Server {
    /// `host:port`, for messages.
    pub fn name(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    fn tls(&self) -> Result<Option<TlsParameters>, AppError> {
        if self.security == Security::None {
            return Ok(None);
        }
        let mut b = TlsParameters::builder(self.host.clone());
        if let Some(pem) = &self.extra_roots {
            let cert = Certificate::from_pem(pem).map_err(|e| {
                AppError::Usage(format!(
                    "the file named by SSL_CERT_FILE holds no PEM certificate that can be read: {e}"
                ))
            })?;
            b = b.add_root_certificate(cert);
        }
        b.build_rustls().map(Some).map_err(|e| AppError::Usage(format!("cannot set up TLS for {}: {e}", self.name())))
    }

    /// A connection, protected as asked and logged in: ready for a transaction.
    fn session(&self, tls: Option<&TlsParameters>) -> Result<SmtpConnection, lettre::transport::smtp::Error> {
        let hello = ClientId::default();
        let wrapper = if self.security == Security::Tls { tls } else { None };
        let mut conn =
            SmtpConnection::connect((self.host.as_str(), self.port), Some(self.timeout), &hello, wrapper, None)?;
        if let (Security::StartTls, Some(tls)) = (self.security, tls) {
            conn.starttls(tls, &hello)?;
        }
        if let Some((user, Secret(password))) = &self.login {
            conn.auth(DEFAULT_MECHANISMS, &Credentials::new(user.clone(), password.clone()))?;
        }
        Ok(conn)
    }
}

/// What happened to one delivery, as far as this side can know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// The server's reply to the message.
    Delivered(String),
    /// The server refused (why).
    Refused(String),
    /// It never got as far as the message's end (why).
    Failed(String),
    /// The message was sent but its reply never came (why).
    Unknown(String),
}

/// What happened to one manifest line.
#[derive(Debug)]
pub struct Outcome {
    pub entry: Entry,
    /// Recipient and the server's reply.
    pub delivered: Vec<(String, String)>,
    /// Recipients the log says already have this file.
    pub skipped: Vec<String>,
    /// Recipients whose delivery may have happened (this run or an earlier one), and why.
    pub uncertain: Vec<(String, String)>,
    /// Recipient and why not.
    pub failed: Vec<(String, String)>,
}

/// The result of a run: every outcome, and why it stopped early if it did.
#[derive(Debug)]
pub struct Report {
    pub outcomes: Vec<Outcome>,
    /// The send log could not be written; nothing was sent after this.
    pub stopped: Option<AppError>,
}

/// Sends every letter to every recipient the log does not list as delivered or possibly
/// delivered (all of them with `resend`). One recipient's failure does not stop the others; a
/// failed login stops everything before anything is sent; a send log that cannot be written
/// stops everything after the delivery it could not record.
pub fn deliver(
    server: &Server,
    sender: &Address,
    letters: &[Letter],
    log: &mut SendLog,
    resend: bool,
    progress: Option<&Progress>,
) -> Result<Report, AppError> {
    let any =
        letters.iter().any(|l| l.recipients.iter().any(|r| resend || log.known(r, &l.entry.sha256) == Known::NotSent));
    let tls = server.tls()?;
    if any {
        // Connect and log in once first: a wrong password or an unreachable server is one
        // message, not one per department.
        let mut conn = server.session(tls.as_ref()).map_err(|e| connection_error(server, &e))?;
        let _ = conn.quit();
    }
    let mut outcomes = Vec::new();
    report(progress, Step::Stage("mail"));
    report(progress, Step::Count { done: 0, of: letters.len(), unit: "messages" });
    for (done, letter) in letters.iter().enumerate() {
        let entry = &letter.entry;
        let mut outcome = Outcome {
            entry: entry.clone(),
            delivered: Vec::new(),
            skipped: Vec::new(),
            uncertain: Vec::new(),
            failed: Vec::new(),
        };
        for rcpt in &letter.recipients {
            if !resend {
                match log.known(rcpt, &entry.sha256) {
                    Known::Delivered => {
                        outcome.skipped.push(rcpt.clone());
                        continue;
                    }
                    Known::MayHaveBeenDelivered => {
                        outcome.uncertain.push((
                            rcpt.clone(),
                            "an earlier run may have delivered it (its outcome is not known; see the send log), so \
                             it was not sent again"
                                .into(),
                        ));
                        continue;
                    }
                    Known::NotSent => {}
                }
            }
            if let Err(e) = log.record(Event::Sending, entry, rcpt, &letter.message_id, "") {
                outcome.failed.push((rcpt.clone(), "not sent: the send log could not be written".into()));
                outcomes.push(outcome);
                return Ok(Report { outcomes, stopped: Some(e) });
            }
            let delivery = match rcpt.parse::<Address>() {
                Ok(to) => send_one(server, tls.as_ref(), sender, &to, &letter.bytes),
                Err(e) => Delivery::Refused(format!("not an address: {e}")),
            };
            let (event, reply) = match &delivery {
                Delivery::Delivered(r) => (Event::Delivered, r),
                Delivery::Refused(r) => (Event::Refused, r),
                Delivery::Failed(r) => (Event::Failed, r),
                Delivery::Unknown(r) => (Event::Unknown, r),
            };
            let logged = log.record(event, entry, rcpt, &letter.message_id, reply);
            match delivery {
                Delivery::Delivered(r) => outcome.delivered.push((rcpt.clone(), r)),
                Delivery::Unknown(r) => outcome.uncertain.push((rcpt.clone(), r)),
                Delivery::Refused(r) | Delivery::Failed(r) => outcome.failed.push((rcpt.clone(), r)),
            }
            if let Err(e) = logged {
                outcomes.push(outcome);
                return Ok(Report { outcomes, stopped: Some(e) });
            }
        }
        outcomes.push(outcome);
        report(progress, Step::Count { done: done + 1, of: letters.len(), unit: "messages" });
    }
    Ok(Report { outcomes, stopped: None })
}

/// One transaction for one recipient, each step's failure told apart.
fn send_one(server: &Server, tls: Option<&TlsParameters>, sender: &Address, to: &Address, bytes: &[u8]) -> Delivery {
    let not_delivered = |e: &lettre::transport::smtp::Error| {
        let why = describe(server, e);
        if e.is_permanent() || e.is_transient() { Delivery::Refused(why) } else { Delivery::Failed(why) }
    };
    let mut conn = match server.session(tls) {
        Ok(c) => c,
        Err(e) => return not_delivered(&e),
    };
    let mut options = Vec::new();
    let ascii = |a: &Address| AsRef::<str>::as_ref(a).is_ascii();
    if !ascii(to) || !ascii(sender) {
        if !conn.server_info().supports_feature(Extension::SmtpUtfEight) {
            conn.abort();
            return Delivery::Refused(
                "the address is not ASCII and the server does not take such addresses (no SMTPUTF8)".into(),
            );
        }
        options.push(MailParameter::SmtpUtfEight);
    }
    if !bytes.is_ascii() && conn.server_info().supports_feature(Extension::EightBitMime) {
        options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
    }
    let steps = conn
        .command(Mail::new(Some(sender.clone()), options))
        .and_then(|_| conn.command(Rcpt::new(to.clone(), vec![])))
        .and_then(|_| conn.command(Data));
    if let Err(e) = steps {
        conn.abort();
        return not_delivered(&e);
    }
    // From here the server may have the whole message: only its own refusal means "not
    // delivered"; anything else leaves the outcome unknown.
    let delivery = match conn.message(bytes) {
        Ok(r) => Delivery::Delivered(format!("{} {}", r.code(), r.message().collect::<Vec<_>>().join(" "))),
        Err(e) if e.is_permanent() || e.is_transient() => Delivery::Refused(describe(server, &e)),
        Err(e) => Delivery::Unknown(format!(
            "the message was sent but the server's answer never came ({}); it may have been delivered: ask {} or \
             check the mailbox before sending it again with --resend",
            describe(server, &e),
            to
        )),
    };
    if conn.quit().is_err() {
        conn.abort();
    }
    delivery
}

/// A refused login: 530 (authentication required), 534/535/538 (mechanism, credentials, TLS).
fn is_auth(e: &lettre::transport::smtp::Error) -> bool {
    e.status().is_some_and(|c| matches!(c.to_string().as_str(), "530" | "534" | "535" | "538"))
}

fn connection_error(server: &Server, e: &lettre::transport::smtp::Error) -> AppError {
    if is_auth(e) {
        let user = server.login.as_ref().map(|(u, _)| u.clone());
        return AppError::SmtpAuth { server: server.name(), user, reply: describe(server, e) };
    }
    AppError::Smtp { server: server.name(), reason: describe(server, e) }
}

/// Whether an error is, underneath, a read or connect that ran out of time.
fn timed_out(e: &lettre::transport::smtp::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>()
            && matches!(io.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut)
        {
            return true;
        }
        source = s.source();
    }
    e.is_timeout()
}

/// A failure in words an office can act on, with a hint for the usual port and TLS mix-ups.
pub fn describe(server: &Server, e: &lettre::transport::smtp::Error) -> String {
    if timed_out(e) {
        let mut text = format!("timed out: no answer from the server within {} s", server.timeout.as_secs());
        if server.security == Security::StartTls && server.port == 465 {
            text.push_str(
                " (port 465 usually wants TLS from the first byte, and waits silently for it: try --tls tls)",
            );
        }
        return text;
    }
    if e.is_permanent() {
        return format!("refused: {e}");
    }
    if e.is_transient() {
        return format!("refused for now, try again later: {e}");
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
    if text.contains("CaUsedAsEndEntity") {
        text.push_str(
            " (the server presents a CA certificate as its own, as a plain `openssl req -x509` makes it; no TLS \
             client may accept that. Give the server a certificate signed by a CA of yours, or one made with \
             `basicConstraints=CA:FALSE`, and name that CA's PEM file in SSL_CERT_FILE)",
        );
    } else if text.contains("InvalidContentType") || text.contains("corrupt message") {
        text.push_str(&format!(
            " (port {} answered in plain text: it speaks SMTP first and STARTTLS after, as port 587 and 25 do; try \
             --tls starttls)",
            server.port
        ));
    } else if text.contains("certificate") || text.contains("UnknownIssuer") {
        text.push_str(" (a server with a certificate of a private CA: name the CA's PEM file in SSL_CERT_FILE)");
    } else if e.is_tls() {
        text.push_str(" (TLS failed: is the certificate trusted? SSL_CERT_FILE adds a CA)");
    }
    format!("connection failed: {text}")
}
