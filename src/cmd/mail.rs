//! `yearbook mail`: read the export's manifest, compose one message per workbook, then write
//! them to an outbox (`--dry-run`) or send them, and say exactly who got what. The password and
//! the extra CA certificate are read here, from the environment or a file, and never printed.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, SystemTime};

use crate::cmd::args::{Cli, MailArgs, TlsArg};
use crate::collect;
use crate::departments::mail::{Composer, Letter, Round, Unsendable};
use crate::departments::mailing::{self, Mailing};
use crate::departments::manifest::Entry;
use crate::departments::send::{self, Secret, Security, Server};
use crate::departments::send_log::{Known, SendLog};
use crate::error::AppError;
use crate::output::OutputLock;
use crate::plan::Plan;

/// The environment variable that holds the SMTP password.
pub(super) const PASSWORD_VAR: &str = "YEARBOOK_SMTP_PASSWORD";

pub(super) fn run(cli: &Cli, args: &MailArgs) -> Result<u8, AppError> {
    let config = super::config(cli)?;
    let (year, data_dir, dir, composer) = if args.collect {
        let data_dir = args.edition.data.clone().unwrap_or_else(|| config.data_dir.clone());
        let o = collect::mail::outgoing(&config, &data_dir, args.edition.year, args.out.clone())?;
        (o.year, data_dir, o.dir, o.composer)
    } else {
        let plan = Plan::new(config.clone(), args.options())?;
        let dir = plan.output.parent.join(plan.output.departments_folder(args.per_city));
        let composer = Composer::new(&plan.config, plan.year)?;
        (plan.year, plan.data_dir, dir, composer)
    };
    let vet = |e: &Entry| match composer.round() {
        Round::Collection { deadline } => collect::mail::deadline_problem(&dir, e, deadline, year),
        Round::Edition => None,
    };
    let Mailing { letters, unsendable } =
        mailing::prepare(&config, &data_dir, &dir, &args.departments, &composer, &vet, SystemTime::now())?;
    if args.dry_run {
        return dry_run(args, &dir, &letters, &unsendable, &SendLog::open(&dir)?);
    }
    let server = server(args)?;
    // One sending run per export folder: a second one waits, then finds in the log what the
    // first delivered.
    let _lock = OutputLock::acquire(&dir, |holder| {
        let who = holder.pid.map_or_else(String::new, |pid| format!(" (pid {pid})"));
        eprintln!("waiting for another yearbook run{who} that is mailing from {}", dir.display());
    })?;
    let mut log = SendLog::open(&dir)?;
    let (shown, progress) = super::progress::show(cli.quiet);
    let report = send::deliver(&server, composer.sender(), &letters, &mut log, args.resend, progress.as_deref())?;
    drop(shown);

    let mut out = std::io::stdout().lock();
    let (mut delivered, mut skipped, mut uncertain, mut failed) = (0, 0, 0, unsendable.len());
    let what = if args.collect { "collection workbooks" } else { "workbooks" };
    let _ = writeln!(out, "mailed the {year} {what} of {} through {}", dir.display(), server.name());
    for o in &report.outcomes {
        let _ = writeln!(out, "  {} ({})", who(&o.entry), o.entry.file);
        for (r, reply) in &o.delivered {
            let _ = writeln!(out, "    delivered to {r}: {reply}");
        }
        for r in &o.skipped {
            let _ = writeln!(out, "    already delivered to {r} (send log); --resend sends it again");
        }
        for (r, why) in &o.uncertain {
            let _ = writeln!(out, "    MAY HAVE BEEN DELIVERED to {r}: {why}");
        }
        for (r, why) in &o.failed {
            let _ = writeln!(out, "    NOT delivered to {r}: {why}");
        }
        delivered += o.delivered.len();
        skipped += o.skipped.len();
        uncertain += o.uncertain.len();
        failed += o.failed.len();
    }
    print_unsendable(&mut out, &unsendable);
    let _ = writeln!(
        out,
        "{delivered} delivered, {skipped} already delivered before, {uncertain} may have been delivered, {failed} not \
         delivered; the send log is {}",
        log.path().display()
    );
    if let Some(e) = report.stopped {
        let _ = out.flush();
        let went: Vec<&str> = report.outcomes.iter().flat_map(|o| &o.delivered).map(|(r, _)| r.as_str()).collect();
        let went = if went.is_empty() { "none".to_string() } else { went.join(", ") };
        eprintln!("error: {e}");
        let again = if args.collect { "yearbook mail --collect" } else { "yearbook mail" };
        eprintln!(
            "the send log cannot be written, so nothing more was sent. Delivered in this run: {went}. Free the disk \
             or fix the log's permissions, then run `{again}` again: it sends only what the log does not show as \
             delivered"
        );
        return Ok(2);
    }
    Ok(u8::from(failed > 0 || uncertain > 0))
}

fn dry_run(
    args: &MailArgs,
    dir: &Path,
    letters: &[Letter],
    unsendable: &[Unsendable],
    log: &SendLog,
) -> Result<u8, AppError> {
    let outbox = mailing::outbox(dir, args.outbox.clone(), letters)?;
    // The outbox is written as one unit, like every output.
    super::land(&outbox.parent, &outbox.name, &outbox.files)?;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "wrote {} message(s) to {} instead of sending them", letters.len(), outbox.folder.display());
    for (l, (name, _)) in letters.iter().zip(&outbox.files) {
        let _ = writeln!(out, "  {name}: {} → {}", who(&l.entry), l.recipients.join(", "));
        let done: Vec<&str> = l
            .recipients
            .iter()
            .filter(|r| log.known(r, &l.entry.sha256) != Known::NotSent)
            .map(String::as_str)
            .collect();
        if !done.is_empty() && !args.resend {
            let _ =
                writeln!(out, "    the send log says {} got it or may have; sending would skip them", done.join(", "));
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
    let extra_roots = std::env::var_os("SSL_CERT_FILE").map(|path| send::extra_roots(Path::new(&path))).transpose()?;
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
            // The password is the first line as it is (trailing spaces may belong to it), so a
            // blank first line is not skipped: say so rather than call the file empty.
            let why = if text.trim().is_empty() {
                "is empty"
            } else {
                "has a blank first line; the password is read from the first line alone: remove the lines above it"
            };
            return Err(AppError::Usage(format!("the password file `{}` {why}", path.display())));
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
