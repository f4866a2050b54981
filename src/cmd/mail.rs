//! `yearbook mail`: read the export's manifest, compose one message per workbook, then write
//! them to an outbox (`--dry-run`) or send them, and say exactly who got what. The password and
//! the extra CA certificate are read here, from the environment or a file, and never printed.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, SystemTime};

use crate::cmd::args::{Cli, MailArgs, TlsArg};
use crate::collect;
use crate::config::Config;
use crate::departments::mail::{Composer, Letter, Round, Unsendable};
use crate::departments::manifest::{self, Entry};
use crate::departments::send::{self, Secret, Security, Server};
use crate::departments::send_log::{Known, SendLog};
use crate::diagnostics::Severity;
use crate::error::AppError;
use crate::load::Loader;
use crate::output::OutputLock;
use crate::plan::Plan;
use crate::resolve::Addressbook;

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
    let entries = selected(manifest::read_manifest(&dir)?, &args.departments, &dir)?;
    let addresses = current_addresses(&config, &data_dir)?;
    let now = SystemTime::now();
    let (mut letters, mut unsendable) = (Vec::new(), Vec::new());
    for e in &entries {
        if let Some(problem) = changed_recipients(e, &addresses, composer.remake()) {
            unsendable.push(Unsendable { entry: e.clone(), problem });
            continue;
        }
        if let Round::Collection { deadline } = composer.round()
            && let Some(problem) = collect::mail::deadline_problem(&dir, e, deadline, year)
        {
            unsendable.push(Unsendable { entry: e.clone(), problem });
            continue;
        }
        match composer.letter(&dir, e, now)? {
            Ok(l) => letters.push(l),
            Err(u) => unsendable.push(u),
        }
    }
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

/// The recipients `departments.toml` gives today, to compare with those the manifest wrote down.
fn current_addresses(config: &Config, data_dir: &Path) -> Result<Addressbook, AppError> {
    let mut loader = Loader::new(&config.root);
    let catalogue = loader.catalogue(data_dir)?;
    if loader.diagnostics.iter().any(|d| d.severity == Severity::Error) || catalogue.departments.is_none() {
        return Err(AppError::Usage(format!(
            "the catalogue in `{}` cannot be read as it is; run `yearbook check` and correct what it says first",
            data_dir.join("catalogue").display()
        )));
    }
    Ok(Addressbook::new(&catalogue))
}

/// Why an entry's recipients are not those of the catalogue any more, naming both.
fn changed_recipients(entry: &Entry, addresses: &Addressbook, remake: &str) -> Option<String> {
    let city = entry.city.as_ref().map(|(id, _)| id.as_str());
    let now = addresses.recipients(&entry.department, city).cloned().unwrap_or_default();
    let same =
        |a: &[String], b: &[String]| a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.eq_ignore_ascii_case(y));
    if same(&now.to, &entry.recipients.to) && same(&now.cc, &entry.recipients.cc) {
        return None;
    }
    let list = |to: &[String], cc: &[String]| {
        let mut s = if to.is_empty() { "nobody".to_string() } else { to.join(", ") };
        if !cc.is_empty() {
            s.push_str(&format!(" (cc {})", cc.join(", ")));
        }
        s
    };
    Some(format!(
        "the manifest sends it to {}, but data/catalogue/departments.toml now says {}; {remake} so that the \
         manifest and the catalogue agree",
        list(&entry.recipients.to, &entry.recipients.cc),
        list(&now.to, &now.cc)
    ))
}

/// The manifest's lines for the departments asked for (all when none is named).
fn selected(entries: Vec<Entry>, only: &[String], dir: &Path) -> Result<Vec<Entry>, AppError> {
    if let Some(unknown) = only.iter().find(|id| !entries.iter().any(|e| &e.department == *id)) {
        let known: Vec<&str> = entries.iter().map(|e| e.department.as_str()).collect();
        return Err(AppError::Usage(format!(
            "the manifest in `{}` has no workbook for department `{unknown}` (it has: {})",
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
    // A plain relative name (`--outbox box`) has an empty parent: the current folder.
    let parent = outbox.parent().map(|p| if p.as_os_str().is_empty() { Path::new(".") } else { p });
    let (Some(parent), Some(name)) = (parent, outbox.file_name().and_then(|n| n.to_str())) else {
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
