//! `yearbook mail`: read the export's manifest, compose one message per workbook, then write
//! them to an outbox (`--dry-run`) or send them, and say exactly who got what. The password and
//! the extra CA certificate are read here, from the environment or a file, and never printed.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, SystemTime};

use crate::cmd::args::{Cli, MailArgs, TlsArg};
use crate::departments::export::{self, Entry};
use crate::departments::mail::{Composer, Letter, Unsendable};
use crate::departments::send::{self, Secret, Security, Server};
use crate::departments::send_log::SendLog;
use crate::error::AppError;
use crate::plan::Plan;

/// The environment variable that holds the SMTP password.
pub const PASSWORD_VAR: &str = "YEARBOOK_SMTP_PASSWORD";

pub fn run(cli: &Cli, args: &MailArgs) -> Result<u8, AppError> {
    let plan = Plan::new(super::config(cli)?, args.options())?;
    let dir = plan.output.parent.join(plan.output.departments_folder(args.per_city));
    let entries = selected(export::read_manifest(&dir)?, &args.departments, &dir)?;
    let composer = Composer::new(&plan.config, plan.year)?;
    let now = SystemTime::now();
    let (mut letters, mut unsendable) = (Vec::new(), Vec::new());
    for e in &entries {
        match composer.letter(&dir, e, now)? {
            Ok(l) => letters.push(l),
            Err(u) => unsendable.push(u),
        }
    }
    let log = SendLog::open(&dir)?;
    if args.dry_run {
        return dry_run(args, &dir, &letters, &unsendable, &log);
    }
    let server = server(args)?;
    let mut log = log;
    let (shown, progress) = super::progress::show(cli.quiet);
    let outcomes = send::deliver(&server, composer.sender(), &letters, &mut log, args.resend, progress.as_deref())?;
    drop(shown);

    let mut out = std::io::stdout().lock();
    let (mut delivered, mut skipped, mut failed) = (0, 0, unsendable.len());
    let _ = writeln!(out, "mailed the {} workbooks of {} through {}", plan.year, dir.display(), server.name());
    for o in &outcomes {
        let _ = writeln!(out, "  {} ({})", who(&o.entry), o.entry.file);
        for (r, reply) in &o.delivered {
            let _ = writeln!(out, "    delivered to {r}: {reply}");
        }
        for r in &o.skipped {
            let _ = writeln!(out, "    already delivered to {r} (send log); --resend sends it again");
        }
        for (r, why) in &o.failed {
            let _ = writeln!(out, "    NOT delivered to {r}: {why}");
        }
        delivered += o.delivered.len();
        skipped += o.skipped.len();
        failed += o.failed.len();
    }
    print_unsendable(&mut out, &unsendable);
    let _ = writeln!(
        out,
        "{delivered} delivered, {skipped} already delivered before, {failed} not delivered; the send log is {}",
        dir.join(crate::departments::send_log::SEND_LOG).display()
    );
    Ok(u8::from(failed > 0))
}

/// The manifest's lines for the departments asked for (all when none is named).
fn selected(entries: Vec<Entry>, only: &[String], dir: &Path) -> Result<Vec<Entry>, AppError> {
    if let Some(unknown) = only.iter().find(|id| !entries.iter().any(|e| &e.department == *id)) {
        let known: Vec<&str> = entries.iter().map(|e| e.department.as_str()).collect();
        return Err(AppError::Usage(format!(
            "the export in `{}` has no workbook for department `{unknown}` (it has: {})",
            dir.display(),
            known.join(", ")
        )));
    }
    Ok(entries.into_iter().filter(|e| only.is_empty() || only.contains(&e.department)).collect())
}

fn dry_run(
    args: &MailArgs,
    dir: &Path,
    letters: &[Letter],
    unsendable: &[Unsendable],
    log: &SendLog,
) -> Result<u8, AppError> {
    let outbox = args.outbox.clone().unwrap_or_else(|| dir.join("outbox"));
    let files: Vec<_> = letters
        .iter()
        .map(|l| (outbox.join(l.entry.file.trim_end_matches(".xlsx").to_string() + ".eml"), l.bytes.clone()))
        .collect();
    // The outbox is written as one unit, like every output.
    let (Some(parent), Some(name)) = (outbox.parent(), outbox.file_name().and_then(|n| n.to_str())) else {
        return Err(AppError::Usage(format!("`{}` cannot be an outbox folder", outbox.display())));
    };
    let named: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|(path, bytes)| {
            (path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(), bytes.clone())
        })
        .collect();
    super::land(parent, name, &named)?;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "wrote {} message(s) to {} instead of sending them", letters.len(), outbox.display());
    for (l, (path, _)) in letters.iter().zip(&files) {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let _ = writeln!(out, "  {name}: {} → {}", who(&l.entry), l.recipients.join(", "));
        let done: Vec<&str> =
            l.recipients.iter().filter(|r| log.delivered(r, &l.entry.sha256)).map(String::as_str).collect();
        if !done.is_empty() && !args.resend {
            let _ = writeln!(out, "    the send log says {} already got it; sending would skip them", done.join(", "));
        }
    }
    print_unsendable(&mut out, unsendable);
    Ok(u8::from(!unsendable.is_empty()))
}

fn print_unsendable(out: &mut impl Write, unsendable: &[Unsendable]) {
    for u in unsendable {
        let _ = writeln!(out, "  {} ({}): NOT sent: {}", who(&u.entry), u.entry.file, u.problem);
    }
}

fn who(e: &Entry) -> String {
    let city = e.city.as_ref().map(|(_, n)| format!(" {} {}", n.zh, n.en)).unwrap_or_default();
    format!("{} {} {}{city}", e.department, e.department_name.zh, e.department_name.en)
}

/// The server from the flags, the password from the environment or its file, and the extra CA
/// from `SSL_CERT_FILE`.
fn server(args: &MailArgs) -> Result<Server, AppError> {
    let host = args.smtp_host.clone().ok_or_else(|| AppError::Usage("--smtp-host is required to send".into()))?;
    let security = Security::from(args.tls);
    if security == Security::None {
        let local = host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
        if !local {
            return Err(AppError::Usage(format!(
                "--tls none sends in the clear and is only for a test server on this machine, not `{host}`; use \
                 --tls starttls or --tls tls"
            )));
        }
        if args.user.is_some() {
            return Err(AppError::Usage(
                "--tls none would send the password in the clear; use --tls starttls or --tls tls".into(),
            ));
        }
    }
    let login = match &args.user {
        Some(user) => Some((user.clone(), password(args, user)?)),
        None => None,
    };
    let extra_roots = match std::env::var_os("SSL_CERT_FILE") {
        Some(path) => Some(std::fs::read(&path).map_err(|source| AppError::Io {
            action: "read the CA certificates named by SSL_CERT_FILE",
            path: path.into(),
            source,
        })?),
        None => None,
    };
    let port = args.smtp_port.unwrap_or(match args.tls {
        TlsArg::None => 25,
        TlsArg::Starttls => 587,
        TlsArg::Tls => 465,
    });
    Ok(Server { host, port, security, login, timeout: Duration::from_secs(args.timeout.max(1)), extra_roots })
}

fn password(args: &MailArgs, user: &str) -> Result<Secret, AppError> {
    if let Some(path) = &args.password_file {
        let text = std::fs::read_to_string(path).map_err(|source| AppError::Io {
            action: "read the password file",
            path: path.clone(),
            source,
        })?;
        let first = text.lines().next().unwrap_or("");
        if first.is_empty() {
            return Err(AppError::Usage(format!("the password file `{}` is empty", path.display())));
        }
        return Ok(Secret::new(first.to_string()));
    }
    match std::env::var(PASSWORD_VAR) {
        Ok(p) if !p.is_empty() => Ok(Secret::new(p)),
        _ => Err(AppError::Usage(format!(
            "no password for `{user}`: set {PASSWORD_VAR} in the environment or name a file with --password-file \
             (never on the command line)"
        ))),
    }
}
