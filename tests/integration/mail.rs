//! `yearbook mail` against a real SMTP server on 127.0.0.1 (Python's aiosmtpd, driven by
//! tests/smtp_server.py, which also decodes what arrived with Python's own email package):
//! recipients and cc, Chinese subjects and file names, attachments byte-identical to the
//! exported files, STARTTLS with a login, a wrong password, the send log and `--resend`, and one
//! refused or dropped recipient not stopping the others.
//!
//! Where aiosmtpd cannot be imported the server tests fail, unless `YEARBOOK_ALLOW_SKIP` is set,
//! where they skip with a loud message.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;

use crate::common::{mini_city, project, repo, text};

const BIN: &str = env!("CARGO_BIN_EXE_yearbook");

const MAIL_TABLE: &str = "\n[mail]\nfrom = \"年鉴编辑部 Yearbook Office <office@yearbook.example>\"\nreply_to = \
                          \"statistics@yearbook.example\"\n";

/// A test project with `[mail]` and an export of its three departments.
fn exported() -> tempfile::TempDir {
    let p = project(&[("testcity", &mini_city())]);
    let config = p.path().join("yearbook.toml");
    let body = std::fs::read_to_string(&config).unwrap() + MAIL_TABLE;
    std::fs::write(&config, body).unwrap();
    let o = mail_cmd(&["export", "--by", "department"], p.path(), &[]);
    assert!(o.status.success(), "export failed:\n{}", text(&o.stderr));
    p
}

fn mail_cmd(args: &[&str], cwd: &Path, env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(BIN);
    c.args(args).current_dir(cwd).env("NO_COLOR", "1").env_remove("YEARBOOK_SMTP_PASSWORD").env_remove("SSL_CERT_FILE");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("the binary runs")
}

fn export_dir(p: &Path) -> PathBuf {
    p.join("dist/2025-departments")
}

/// Manifest lines as (department, file, sha256, to, cc), read by the program's own reader (the
/// first address of each list).
fn manifest(p: &Path) -> Vec<[String; 5]> {
    yearbook::departments::manifest::read_manifest(&export_dir(p))
        .unwrap()
        .into_iter()
        .map(|e| {
            let first = |l: &[String]| l.first().cloned().unwrap_or_default();
            [e.department, e.file, e.sha256, first(&e.recipients.to), first(&e.recipients.cc)]
        })
        .collect()
}

fn aiosmtpd_available() -> bool {
    let ok = Command::new("python3").args(["-c", "import aiosmtpd"]).output().is_ok_and(|o| o.status.success());
    if !ok {
        crate::common::missing("Python's aiosmtpd (pip install aiosmtpd)", "sending mail to a real SMTP server");
    }
    ok
}

/// The test server, stopped when dropped.
struct Server {
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
}

impl Server {
    fn start(extra: &[&str]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        // A free port: bind, read it, let go; the server takes it a moment later.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let script = repo().join("tests/smtp_server.py");
        let mut child = Command::new("python3")
            .arg(&script)
            .args(["serve", "--port", &port.to_string(), "--dir", dir.path().to_str().unwrap()])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        assert_eq!(line.trim(), "listening", "the test SMTP server did not start");
        Server { child, dir, port }
    }

    fn port(&self) -> String {
        self.port.to_string()
    }

    /// Every message received so far, decoded by Python's email package.
    fn received(&self) -> Vec<Value> {
        let o = Command::new("python3")
            .arg(repo().join("tests/smtp_server.py"))
            .args(["show", self.dir.path().to_str().unwrap()])
            .output()
            .unwrap();
        assert!(o.status.success(), "show failed: {}", text(&o.stderr));
        serde_json::from_slice::<Value>(&o.stdout).unwrap().as_array().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The deliveries the send log records as accepted by the server.
fn sent_log_lines(p: &Path) -> usize {
    std::fs::read_to_string(export_dir(p).join("sent-log.csv")).map_or(0, |t| t.matches(",delivered,").count())
}

#[test]
fn dry_run_writes_one_message_per_department_with_encoded_chinese_headers() {
    let p = exported();
    let o = mail_cmd(&["mail", "--dry-run"], p.path(), &[]);
    assert!(o.status.success(), "{}{}", text(&o.stdout), text(&o.stderr));
    let outbox = export_dir(p.path()).join("outbox");
    let rows = manifest(p.path());
    assert_eq!(rows.len(), 3, "the mini city has three departments");
    for [_, file, ..] in &rows {
        let eml = std::fs::read_to_string(outbox.join(file.replace(".xlsx", ".eml"))).unwrap();
        assert!(eml.contains("Subject: =?utf-8?b?"), "the Chinese subject is RFC 2047 encoded:\n{eml:.600}");
        assert!(
            eml.contains("filename*=utf-8''") || eml.contains("filename*0*=utf-8''"),
            "the Chinese file name is RFC 2231 encoded"
        );
        assert!(!eml.lines().any(|l| l.len() > 998), "no line longer than SMTP allows");
    }
    assert_eq!(sent_log_lines(p.path()), 0, "a dry run delivers nothing");
}

#[test]
fn plain_smtp_delivers_each_department_its_workbook_once_and_resend_sends_again() {
    if !aiosmtpd_available() {
        return;
    }
    let p = exported();
    let server = Server::start(&[]);
    let args = ["mail", "--smtp-host", "127.0.0.1", "--smtp-port", &server.port(), "--tls", "none"];
    let o = mail_cmd(&args, p.path(), &[]);
    assert!(o.status.success(), "{}{}", text(&o.stdout), text(&o.stderr));

    let rows = manifest(p.path());
    let got = server.received();
    // One transaction per recipient: to and cc each get their own copy of the same message.
    let recipients: usize = rows.iter().map(|r| 1 + usize::from(!r[4].is_empty())).sum();
    assert_eq!(got.len(), recipients, "{got:#?}");
    for [department, file, sha, to, cc] in &rows {
        let mine: Vec<&Value> = got.iter().filter(|m| m["attachments"][0]["sha256"] == sha.as_str()).collect();
        let envelope: Vec<&str> = mine.iter().map(|m| m["rcpt_to"][0].as_str().unwrap()).collect();
        let mut expected = vec![to.as_str()];
        if !cc.is_empty() {
            expected.push(cc);
        }
        assert_eq!(envelope, expected, "{department}: to, then cc");
        let bytes = std::fs::read(export_dir(p.path()).join(file)).unwrap();
        for m in &mine {
            assert_eq!(m["attachments"][0]["size"], bytes.len(), "{file} arrives byte-identical");
            assert!(m["to"].as_str().unwrap().contains(to.as_str()));
            assert!(m["cc"].as_str().unwrap().contains(cc.as_str()), "the cc header names the cc");
            assert_eq!(m["mail_from"], "office@yearbook.example");
            let subject = m["subject"].as_str().unwrap();
            assert!(subject.contains("测试年鉴") && subject.contains("2025"), "decoded subject: {subject}");
            let name = m["attachments"][0]["filename"].as_str().unwrap();
            assert!(name.starts_with("测试年鉴2025-") && name.ends_with(".xlsx"), "decoded file name: {name}");
            assert!(m["body"].as_str().unwrap().contains(&sha[..]), "the body names the file's hash");
        }
    }
    let housing = got.iter().find(|m| m["rcpt_to"][0] == "housing@yearbook.example").unwrap();
    assert!(housing["subject"].as_str().unwrap().contains("住房和城乡建设局"), "{}", housing["subject"]);
    assert!(housing["sender"].as_str().unwrap().contains("年鉴编辑部"), "{}", housing["sender"]);
    assert_eq!(sent_log_lines(p.path()), recipients);

    // Never twice: a second run skips everything the log lists.
    let o = mail_cmd(&args, p.path(), &[]);
    assert!(o.status.success());
    assert_eq!(server.received().len(), recipients, "nothing is sent twice");
    assert!(
        text(&o.stdout).contains(&format!("0 delivered, {recipients} already delivered before")),
        "{}",
        text(&o.stdout)
    );

    // Unless asked, and then only for the departments named.
    let mut again = args.to_vec();
    again.extend(["--resend", "--department", "housing"]);
    let o = mail_cmd(&again, p.path(), &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(server.received().len(), recipients + 2, "housing's to and cc get it again");
}

#[test]
fn starttls_with_a_login_delivers_and_a_wrong_password_sends_nothing() {
    if !aiosmtpd_available() {
        return;
    }
    let p = exported();
    let certs = tempfile::tempdir().unwrap();
    let key = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
    let (cert, key_file) = (certs.path().join("cert.pem"), certs.path().join("key.pem"));
    std::fs::write(&cert, key.cert.pem()).unwrap();
    std::fs::write(&key_file, key.signing_key.serialize_pem()).unwrap();
    let server = Server::start(&[
        "--auth",
        "office:s3cret-Pa55",
        "--cert",
        cert.to_str().unwrap(),
        "--key",
        key_file.to_str().unwrap(),
    ]);
    let args =
        ["mail", "--smtp-host", "127.0.0.1", "--smtp-port", &server.port(), "--tls", "starttls", "--user", "office"];
    let trust = ("SSL_CERT_FILE", cert.to_str().unwrap());

    // A wrong password: said once, as a refused login, and nothing counts as sent.
    let o = mail_cmd(&args, p.path(), &[("YEARBOOK_SMTP_PASSWORD", "wrong-guess"), trust]);
    let (out, err) = (text(&o.stdout), text(&o.stderr));
    assert_eq!(o.status.code(), Some(2), "{out}{err}");
    assert_eq!(err.matches("refused the login").count(), 1, "{err}");
    assert!(err.contains("`office`") && err.contains("535"), "{err}");
    assert!(!out.contains("wrong-guess") && !err.contains("wrong-guess"), "the password is never printed");
    assert_eq!(server.received().len(), 0);
    assert_eq!(sent_log_lines(p.path()), 0, "nothing counts as sent");

    // The certificate is not trusted without SSL_CERT_FILE.
    let o = mail_cmd(&args, p.path(), &[("YEARBOOK_SMTP_PASSWORD", "s3cret-Pa55")]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stdout));
    let err = text(&o.stderr);
    assert!(err.contains("certificate") && err.contains("SSL_CERT_FILE"), "{err}");
    assert_eq!(server.received().len(), 0);

    // The right password from a file, the certificate trusted through SSL_CERT_FILE.
    let secret = certs.path().join("password");
    std::fs::write(&secret, "s3cret-Pa55\n").unwrap();
    let mut with_file = args.to_vec();
    with_file.extend(["--password-file", secret.to_str().unwrap()]);
    let o = mail_cmd(&with_file, p.path(), &[trust]);
    assert!(o.status.success(), "{}{}", text(&o.stdout), text(&o.stderr));
    let got = server.received();
    assert_eq!(got.len(), sent_log_lines(p.path()));
    assert!(!got.is_empty());
    for m in &got {
        assert_eq!(m["tls"], true, "delivered under TLS");
        assert_eq!(m["login"], "office");
    }
}

#[test]
fn a_refused_and_a_dropped_recipient_do_not_stop_the_others() {
    if !aiosmtpd_available() {
        return;
    }
    let p = exported();
    let server = Server::start(&["--refuse", "housing@yearbook.example", "--drop", "hrss.statistics@yearbook.example"]);
    let args = ["mail", "--smtp-host", "127.0.0.1", "--smtp-port", &server.port(), "--tls", "none", "--timeout", "10"];
    let o = mail_cmd(&args, p.path(), &[]);
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "some were not delivered:\n{out}{}", text(&o.stderr));
    assert!(out.contains("NOT delivered to housing@yearbook.example: refused"), "{out}");
    assert!(out.contains("NOT delivered to hrss.statistics@yearbook.example"), "{out}");
    assert!(out.contains("delivered to hrss@yearbook.example"), "{out}");
    let got: Vec<String> = server.received().iter().map(|m| m["rcpt_to"][0].as_str().unwrap().to_string()).collect();
    assert!(got.contains(&"hrss@yearbook.example".to_string()), "{got:?}");
    assert!(got.contains(&"housing.statistics@yearbook.example".to_string()), "the cc of the refused one: {got:?}");
    assert!(!got.contains(&"housing@yearbook.example".to_string()));
    assert_eq!(sent_log_lines(p.path()), got.len(), "exactly what arrived is in the log");

    // The next run tries only what did not arrive.
    let o = mail_cmd(&args, p.path(), &[]);
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1));
    let expected =
        format!("0 delivered, {} already delivered before, 0 may have been delivered, 2 not delivered", got.len());
    assert!(out.contains(&expected), "{out}");
}

#[test]
fn a_changed_workbook_is_not_sent() {
    let p = exported();
    let rows = manifest(p.path());
    let file = export_dir(p.path()).join(&rows[0][1]);
    let mut bytes = std::fs::read(&file).unwrap();
    bytes.push(0);
    std::fs::write(&file, bytes).unwrap();
    let o = mail_cmd(&["mail", "--dry-run"], p.path(), &[]);
    assert_eq!(o.status.code(), Some(1));
    let out = text(&o.stdout);
    assert!(out.contains("NOT sent") && out.contains("sha256 differs"), "{out}");
    let outbox = export_dir(p.path()).join("outbox");
    assert_eq!(std::fs::read_dir(outbox).unwrap().count(), rows.len() - 1, "the others are written");
}

#[test]
fn the_password_never_comes_from_the_command_line_and_none_is_only_local() {
    let p = exported();
    let o = mail_cmd(&["mail", "--smtp-host", "mail.yearbook.example", "--tls", "none"], p.path(), &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("only for a test server on this machine"), "{}", text(&o.stderr));
    let o = mail_cmd(&["mail", "--smtp-host", "127.0.0.1", "--user", "office"], p.path(), &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("YEARBOOK_SMTP_PASSWORD"), "{}", text(&o.stderr));
    let o = mail_cmd(&["mail", "--smtp-host", "127.0.0.1", "--password", "x"], p.path(), &[]);
    assert_eq!(o.status.code(), Some(2), "there is no --password option");
}

fn send_args(server: &Server) -> Vec<String> {
    ["mail", "--smtp-host", "127.0.0.1", "--smtp-port", &server.port(), "--tls", "none", "--timeout", "3"]
        .map(str::to_string)
        .to_vec()
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// How many copies each envelope recipient got.
fn copies(server: &Server) -> std::collections::BTreeMap<String, usize> {
    let mut n = std::collections::BTreeMap::new();
    for m in server.received() {
        *n.entry(m["rcpt_to"][0].as_str().unwrap().to_string()).or_insert(0) += 1;
    }
    n
}

/// Every recipient of the export's manifest (to and cc).
fn all_recipients(p: &Path) -> Vec<String> {
    yearbook::departments::manifest::read_manifest(&export_dir(p))
        .unwrap()
        .into_iter()
        .flat_map(|e| e.recipients.to.into_iter().chain(e.recipients.cc))
        .collect()
}

#[test]
fn two_mail_runs_at_once_send_each_workbook_once() {
    if !aiosmtpd_available() {
        return;
    }
    let p = exported();
    let server = Server::start(&["--slow-reply", "hrss@yearbook.example:0.5"]);
    let args = send_args(&server);
    let spawn = || {
        Command::new(BIN)
            .args(strs(&args))
            .current_dir(p.path())
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert!(a.status.success() && b.status.success(), "{}{}", text(&a.stderr), text(&b.stderr));
    let got = copies(&server);
    assert_eq!(got.len(), all_recipients(p.path()).len(), "{got:?}");
    assert!(got.values().all(|&n| n == 1), "every recipient exactly once: {got:?}");
    let waited = text(&a.stderr) + &text(&b.stderr);
    assert!(waited.contains("waiting for another yearbook run"), "the second run says whom it waits for: {waited}");
}

#[test]
fn a_lost_or_late_reply_is_reported_as_maybe_delivered_and_not_sent_again() {
    if !aiosmtpd_available() {
        return;
    }
    let p = exported();
    let server =
        Server::start(&["--lose-reply", "housing@yearbook.example", "--slow-reply", "hrss@yearbook.example:5"]);
    let args = send_args(&server);
    let o = mail_cmd(&strs(&args), p.path(), &[]);
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}{}", text(&o.stderr));
    for who in ["housing@yearbook.example", "hrss@yearbook.example"] {
        assert!(out.contains(&format!("MAY HAVE BEEN DELIVERED to {who}")), "{out}");
    }
    assert!(out.contains("timed out"), "a late reply is called a timeout: {out}");
    assert!(!out.contains("os error 11") && !out.contains("Resource temporarily"), "{out}");
    let o = mail_cmd(&strs(&args), p.path(), &[]);
    let out = text(&o.stdout);
    assert!(out.contains("0 delivered") && out.contains("2 may have been delivered"), "{out}");
    // Give the slow server its five seconds, then count.
    std::thread::sleep(std::time::Duration::from_secs(3));
    let got = copies(&server);
    assert_eq!(got["housing@yearbook.example"], 1, "{got:?}");
    assert_eq!(got["hrss@yearbook.example"], 1, "{got:?}");
    assert!(got.values().all(|&n| n == 1), "{got:?}");
    // --resend is the deliberate way to send them again.
    let mut again = args.clone();
    again.extend(["--resend", "--department", "housing"].map(str::to_string));
    let o = mail_cmd(&strs(&again), p.path(), &[]);
    assert!(text(&o.stdout).contains("delivered to housing.statistics@yearbook.example"), "{}", text(&o.stdout));
}

/// Runs `mail` with the size of any file it writes limited to `limit` bytes (as a full disk
/// would), SIGXFSZ ignored so that the write fails instead of killing the process.
#[cfg(unix)]
fn mail_with_file_limit(args: &[&str], cwd: &Path, limit: u64) -> Output {
    use std::os::unix::process::CommandExt;
    let mut c = Command::new(BIN);
    c.args(args).current_dir(cwd).env("NO_COLOR", "1");
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        c.pre_exec(move || {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let rl = libc::rlimit { rlim_cur: limit, rlim_max: limit };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &rl) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    c.output().unwrap()
}

// A file-size limit is a Unix resource limit; Windows has none to set on a child.
#[cfg(unix)]
#[test]
fn a_send_log_that_cannot_be_written_stops_sending_and_says_what_went_out() {
    if !aiosmtpd_available() {
        return;
    }
    // The byte sizes of the log's lines, from a run into a copy of the export.
    let reference = exported();
    let server = Server::start(&[]);
    let args = send_args(&server);
    let o = mail_cmd(&strs(&args), reference.path(), &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let log = std::fs::read_to_string(export_dir(reference.path()).join("sent-log.csv")).unwrap();
    let lines: Vec<usize> = log.split_inclusive("\r\n").map(str::len).collect();
    let first = log.lines().nth(1).unwrap().split(',').nth(4).unwrap().to_string();

    for (case, limit) in [
        ("the log is full before the first delivery", lines[0] as u64 + 10),
        ("the outcome of the first delivery cannot be written", (lines[0] + lines[1] + 10) as u64),
        ("the second intent cannot be written", (lines[0] + lines[1] + lines[2] + 10) as u64),
    ] {
        let p = exported();
        let server = Server::start(&[]);
        let args = send_args(&server);
        let o = mail_with_file_limit(&strs(&args), p.path(), limit);
        let (out, err) = (text(&o.stdout), text(&o.stderr));
        assert_eq!(o.status.code(), Some(2), "{case}: {out}{err}");
        assert!(err.contains("could not write the send log") && err.contains("nothing more was sent"), "{case}: {err}");
        let sent = copies(&server);
        assert!(sent.len() <= 1, "{case}: at most the one delivery before the log failed: {sent:?}");
        if let Some(who) = sent.keys().next() {
            assert_eq!(who, &first);
            assert!(err.contains(&format!("Delivered in this run: {who}")), "{case}: {err}");
        } else {
            assert!(err.contains("Delivered in this run: none"), "{case}: {err}");
        }
        // With room again, everything else goes out, and nothing twice.
        let o = mail_cmd(&strs(&args), p.path(), &[]);
        let out = text(&o.stdout);
        let got = copies(&server);
        assert!(got.values().all(|&n| n == 1), "{case}: nothing twice: {got:?}\n{out}");
        assert_eq!(got.len(), all_recipients(p.path()).len(), "{case}: everyone got it: {out}");
        if limit == (lines[0] + lines[1] + 10) as u64 {
            // Its intent is in the log, its outcome is not: it may have been delivered, and it was.
            assert!(out.contains(&format!("MAY HAVE BEEN DELIVERED to {first}")), "{case}: {out}");
            assert_eq!(o.status.code(), Some(1), "{case}: {out}");
        } else {
            assert!(o.status.success(), "{case}: {out}");
        }
    }
}

#[test]
fn the_message_id_is_the_same_in_every_run() {
    let p = exported();
    let ids = |outbox: &str| {
        let o = mail_cmd(&["mail", "--dry-run", "--outbox", outbox], p.path(), &[]);
        assert!(o.status.success(), "{}", text(&o.stderr));
        let mut ids: Vec<String> = std::fs::read_dir(p.path().join(outbox))
            .unwrap()
            .map(|e| {
                let eml = std::fs::read_to_string(e.unwrap().path()).unwrap();
                eml.lines().find(|l| l.starts_with("Message-ID:")).unwrap().to_string()
            })
            .collect();
        ids.sort();
        ids
    };
    let (first, second) = (ids("box1"), ids("box2"));
    assert_eq!(first, second, "a duplicate that does arrive is merged by mail clients");
    assert!(first.iter().all(|id| id.contains("yearbook-2025.")), "{first:?}");
    let unique: std::collections::BTreeSet<&String> = first.iter().collect();
    assert_eq!(unique.len(), first.len(), "one id per workbook");
}

#[test]
fn re_export_then_mail_sends_nothing_twice() {
    if !aiosmtpd_available() {
        return;
    }
    let p = exported();
    let server = Server::start(&[]);
    let args = send_args(&server);
    assert!(mail_cmd(&strs(&args), p.path(), &[]).status.success());
    let o = mail_cmd(&["export", "--by", "department"], p.path(), &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = mail_cmd(&strs(&args), p.path(), &[]);
    let out = text(&o.stdout);
    assert!(o.status.success(), "{out}");
    assert!(out.contains("0 delivered"), "{out}");
    assert!(copies(&server).values().all(|&n| n == 1));
}

#[test]
fn an_address_corrected_after_the_export_is_not_mailed_the_old_way() {
    let p = exported();
    let path = p.path().join("data/catalogue/departments.toml");
    let catalogue = std::fs::read_to_string(&path).unwrap().replacen(
        "\"hrss@yearbook.example\"",
        "\"hrss-new@yearbook.example\"",
        1,
    );
    std::fs::write(&path, catalogue).unwrap();
    let o = mail_cmd(&["mail", "--dry-run"], p.path(), &[]);
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("hrss@yearbook.example") && out.contains("hrss-new@yearbook.example"), "both named: {out}");
    assert!(out.contains("export again"), "{out}");
    let outbox = export_dir(p.path()).join("outbox");
    assert!(!outbox.join("yearbook-2025-hrss.eml").exists(), "the old address gets nothing");
}

#[test]
fn a_line_break_in_a_name_of_the_manifest_is_refused_not_a_panic() {
    let p = exported();
    let dir = export_dir(p.path());
    let mut entries = yearbook::departments::manifest::read_manifest(&dir).unwrap();
    entries[0].department_name.zh = "教育局\r\nBcc: evil@evil.example".into();
    std::fs::write(dir.join("manifest.csv"), yearbook::departments::manifest::manifest(&entries).unwrap()).unwrap();
    let o = mail_cmd(&["mail", "--dry-run"], p.path(), &[]);
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}{}", text(&o.stderr));
    assert!(out.contains("holds a line break"), "{out}");
    let written = std::fs::read_dir(dir.join("outbox")).unwrap().count();
    assert_eq!(written, entries.len() - 1, "the other departments still get theirs");
}

/// M34: a city name typed as a TOML multi-line string (a trailing line break) is refused by
/// `check` at its line, and a manifest split by city that carries one is refused by `mail`
/// (dry run or not) for that workbook alone, never a panic that stops every city.
#[test]
fn a_line_break_in_a_city_name_is_refused_by_check_and_by_mail_per_city() {
    let p = project(&[("testcity", &mini_city())]);
    let config = p.path().join("yearbook.toml");
    std::fs::write(&config, std::fs::read_to_string(&config).unwrap() + MAIL_TABLE).unwrap();
    let city = p.path().join("data/2025/testcity.toml");
    let multiline = mini_city().replacen("zh = \"测试市\"", "zh = \"\"\"测试市\n\"\"\"", 1);
    assert_ne!(multiline, mini_city());
    std::fs::write(&city, &multiline).unwrap();
    let o = mail_cmd(&["check", "--format", "short"], p.path(), &[]);
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("data/2025/testcity.toml:3:")
            && out.contains("error[name-in-header]: the city name `测试市\\n` holds a line break"),
        "{out}"
    );

    std::fs::write(&city, mini_city()).unwrap();
    let o = mail_cmd(&["export", "--by", "department", "--per-city"], p.path(), &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let dir = p.path().join("dist/2025-departments-by-city");
    let mut entries = yearbook::departments::manifest::read_manifest(&dir).unwrap();
    for e in &mut entries {
        e.city.as_mut().unwrap().1.zh = "测试市\n".into();
    }
    std::fs::write(dir.join("manifest.csv"), yearbook::departments::manifest::manifest(&entries).unwrap()).unwrap();
    for args in [
        &["mail", "--per-city", "--dry-run"][..],
        &["mail", "--per-city", "--smtp-host", "127.0.0.1", "--smtp-port", "9", "--tls", "none"],
    ] {
        let o = mail_cmd(args, p.path(), &[]);
        let (out, err) = (text(&o.stdout), text(&o.stderr));
        assert_eq!(o.status.code(), Some(1), "{args:?}: {out}{err}");
        assert!(!err.contains("panicked"), "{err}");
        assert_eq!(out.matches("holds a line break").count(), entries.len(), "{args:?}: {out}");
    }
}

/// M20: a CA file that holds no PEM certificate (a binary DER one) is named as such before any
/// connection, instead of being ignored and the server's certificate failing as unknown.
#[test]
fn a_ca_file_without_a_pem_certificate_is_named_before_connecting() {
    let p = exported();
    let certs = tempfile::tempdir().unwrap();
    let key = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let der = certs.path().join("ca.der");
    std::fs::write(&der, key.cert.der()).unwrap();
    // Port 9 (discard): nothing listens there; a connection attempt would say "refused".
    let args = ["mail", "--smtp-host", "127.0.0.1", "--smtp-port", "9", "--tls", "starttls"];
    let o = mail_cmd(&args, p.path(), &[("SSL_CERT_FILE", der.to_str().unwrap())]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains(&format!("`{}`, named by SSL_CERT_FILE, holds no PEM certificate", der.display())), "{err}");
    assert!(!err.contains("refused") && !err.contains("UnknownIssuer"), "{err}");
    assert_eq!(sent_log_lines(p.path()), 0);
}

/// M52: a manifest row copied by hand is named with both lines, for the dry run and the real
/// run alike, instead of an outbox file that "exists".
#[test]
fn a_row_listed_twice_in_the_manifest_is_named_with_its_lines() {
    let p = exported();
    let path = export_dir(p.path()).join("manifest.csv");
    let manifest_text = std::fs::read_to_string(&path).unwrap();
    let second = manifest_text.split("\r\n").nth(1).unwrap().to_string();
    std::fs::write(&path, format!("{manifest_text}{second}\r\n")).unwrap();
    for args in [&["mail", "--dry-run"][..], &["mail", "--smtp-host", "127.0.0.1", "--smtp-port", "9", "--tls", "none"]]
    {
        let o = mail_cmd(args, p.path(), &[]);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("line 5: the workbook `yearbook-2025-") && err.contains("is listed again (first on line 2)"),
            "{err}"
        );
        assert!(!err.contains("File exists"), "{err}");
    }
    assert!(!export_dir(p.path()).join("outbox").exists(), "nothing was written");
}

/// M39, M61: `check` reads `[mail]` as `mail` does: a sender `mail` cannot send from and a
/// subject template that renders blank are refused before any export, with the reason.
#[test]
fn check_refuses_what_mail_would_refuse_in_its_settings() {
    let p = project(&[("testcity", &mini_city())]);
    let config = p.path().join("yearbook.toml");
    let good = std::fs::read_to_string(&config).unwrap() + MAIL_TABLE;
    std::fs::write(&config, &good).unwrap();
    let o = mail_cmd(&["check"], p.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));

    std::fs::write(&config, good.replace("office@yearbook.example", "office@localhost")).unwrap();
    let o = mail_cmd(&["check"], p.path(), &[]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("mail.from `office@localhost` is not an e-mail address: its domain needs a dot"), "{err}");

    let subject = p.path().join("blank-subject.txt.j2");
    std::fs::write(&subject, "{% if false %}x{% endif %}\n").unwrap();
    std::fs::write(&config, format!("{good}subject = {:?}\n", subject.display().to_string())).unwrap();
    for args in [&["check"][..], &["export", "--by", "department"], &["mail", "--dry-run"]] {
        let o = mail_cmd(args, p.path(), &[]);
        let err = text(&o.stderr);
        if args[0] == "export" {
            assert!(o.status.success(), "{err}");
            continue;
        }
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("gives an empty subject for department `"), "{args:?}: {err}");
    }
    assert!(!export_dir(p.path()).join("outbox").exists(), "no message without a subject");
}

/// The soak test: a few hundred deliveries to a server on 127.0.0.1 that drops connections,
/// delays replies, refuses recipients and loses replies at random, with `mail` killed (-9) at
/// random moments, then run again until it has nothing left to try. Every recipient must have
/// its workbook at most once, and at least once unless the last run reports that it "may have
/// been delivered". Bounded: it stops by itself (and fails) after 90 s.
#[test]
fn soak_every_recipient_at_most_once_under_faults_and_kills() {
    if !aiosmtpd_available() {
        return;
    }
    const PER_DEPARTMENT: usize = 100;
    let p = project(&[("testcity", &mini_city())]);
    let config = p.path().join("yearbook.toml");
    std::fs::write(&config, std::fs::read_to_string(&config).unwrap() + MAIL_TABLE).unwrap();
    let path = p.path().join("data/catalogue/departments.toml");
    let catalogue: String = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|l| match l.strip_prefix("to = [\"").and_then(|r| r.strip_suffix("@yearbook.example\"]")) {
            Some(local) => {
                let many: Vec<String> =
                    (0..PER_DEPARTMENT).map(|n| format!("\"{local}.{n:03}@yearbook.example\"")).collect();
                format!("to = [{}]\n", many.join(", "))
            }
            None => format!("{l}\n"),
        })
        .collect();
    std::fs::write(&path, catalogue).unwrap();
    let o = mail_cmd(&["export", "--by", "department"], p.path(), &[]);
    assert!(o.status.success(), "export failed:\n{}", text(&o.stderr));
    let everyone = all_recipients(p.path());
    assert!(everyone.len() >= 300, "a few hundred deliveries: {}", everyone.len());

    let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
    eprintln!("soak seed {seed} (the server's and the kills')");
    let server = Server::start(&["--chaos", &(seed % 1_000_000).to_string()]);
    let args = send_args(&server);
    let mut state = seed | 1;
    let mut next = move |below: u64| {
        // xorshift: enough randomness for kill moments, no crate needed.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % below
    };
    let start = std::time::Instant::now();
    let (mut kills, mut rounds) = (0, 0);
    let last = loop {
        assert!(start.elapsed() < std::time::Duration::from_secs(90), "the soak did not finish in 90 s");
        rounds += 1;
        let mut child = Command::new(BIN)
            .args(strs(&args))
            .arg("-q")
            .current_dir(p.path())
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if rounds <= 12 && next(4) != 0 {
            std::thread::sleep(std::time::Duration::from_millis(next(1500)));
            if child.try_wait().unwrap().is_none() {
                child.kill().unwrap();
                kills += 1;
            }
        }
        let o = child.wait_with_output().unwrap();
        let out = text(&o.stdout);
        let code = o.status.code();
        assert_ne!(code, Some(101), "no panic:\n{}", text(&o.stderr));
        if matches!(code, Some(0 | 1)) && !out.contains("NOT delivered") {
            break out;
        }
    };
    let maybe: std::collections::BTreeSet<String> = last
        .lines()
        .filter_map(|l| l.trim().strip_prefix("MAY HAVE BEEN DELIVERED to "))
        .map(|l| l.split(':').next().unwrap().to_string())
        .collect();
    let got = copies(&server);
    let twice: Vec<(&String, &usize)> = got.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "at most once: {twice:?}");
    let missing: Vec<&String> = everyone.iter().filter(|r| !got.contains_key(*r) && !maybe.contains(*r)).collect();
    assert!(missing.is_empty(), "at least once unless reported as maybe delivered: {missing:?}");
    let maybe_arrived = maybe.iter().filter(|r| got.contains_key(*r)).count();
    eprintln!(
        "soak: {} recipients, {rounds} runs ({kills} killed), {} delivered once, {} reported as maybe delivered ({} of \
         them arrived), 0 twice, {:.1} s",
        everyone.len(),
        got.len(),
        maybe.len(),
        maybe_arrived,
        start.elapsed().as_secs_f64()
    );
}

/// A server on 127.0.0.1 that accepts connections and answers each with `greeting` (nothing
/// when empty), then keeps it open and silent: the far ends of the usual port and TLS mix-ups.
fn silent_server(greeting: &'static [u8]) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut open = Vec::new();
        for mut stream in listener.incoming().flatten() {
            let _ = std::io::Write::write_all(&mut stream, greeting);
            open.push(stream);
        }
    });
    port
}

/// M08 (and M21's timeout): a server that never greets is reported as a timeout within the
/// given time, not as "Resource temporarily unavailable (os error 11)".
#[test]
fn a_server_that_never_answers_is_reported_as_timed_out() {
    let p = exported();
    let port = silent_server(b"").to_string();
    let args = ["mail", "--smtp-host", "127.0.0.1", "--smtp-port", &port, "--tls", "none", "--timeout", "1"];
    let o = mail_cmd(&args, p.path(), &[]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("timed out: no answer from the server within 1 s") && err.contains("nothing was sent"),
        "{err}"
    );
    assert!(!err.contains("os error 11") && !err.contains("temporarily unavailable"), "{err}");
}

/// M22: `--tls tls` against a port that greets in plain text (STARTTLS ports 587 and 25) gets a
/// hint to use `--tls starttls`, not only the TLS library's "corrupt message".
#[test]
fn implicit_tls_against_a_plain_text_port_says_to_use_starttls() {
    let p = exported();
    let port = silent_server(b"220 mail.example ESMTP ready\r\n").to_string();
    let args = ["mail", "--smtp-host", "127.0.0.1", "--smtp-port", &port, "--tls", "tls", "--timeout", "3"];
    let o = mail_cmd(&args, p.path(), &[]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("port {port} answered in plain text")) && err.contains("try --tls starttls"),
        "{err}"
    );
    assert!(err.contains("nothing was sent"), "{err}");
}

/// M26: a password file whose first line is blank is not called empty; the run stops before
/// connecting and says which line the password is read from.
#[test]
fn a_password_file_with_a_blank_first_line_is_named_as_such() {
    let p = exported();
    let dir = tempfile::tempdir().unwrap();
    let (blank, empty) = (dir.path().join("blank-first"), dir.path().join("empty"));
    std::fs::write(&blank, "\n\ns3cret\n").unwrap();
    std::fs::write(&empty, "\n").unwrap();
    for (file, says) in [(&blank, "has a blank first line"), (&empty, "is empty")] {
        let args = ["mail", "--smtp-host", "localhost", "--smtp-port", "9", "--user", "office", "--password-file"];
        let mut args = args.to_vec();
        args.push(file.to_str().unwrap());
        let o = mail_cmd(&args, p.path(), &[]);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains(&format!("the password file `{}` {says}", file.display())), "{err}");
        assert!(!err.contains("s3cret"), "{err}");
    }
}

/// M58: `--outbox NAME`, a plain relative name, is the folder NAME in the current folder.
#[test]
fn an_outbox_named_by_a_plain_relative_name_is_made_in_the_current_folder() {
    let p = exported();
    let o = mail_cmd(&["mail", "--dry-run", "--outbox", "myoutbox"], p.path(), &[]);
    assert!(o.status.success(), "{}{}", text(&o.stdout), text(&o.stderr));
    let written = std::fs::read_dir(p.path().join("myoutbox")).unwrap().count();
    assert_eq!(written, manifest(p.path()).len());
}

/// M56: a manifest saved in another encoding (GBK, as Excel on a Chinese Windows saves CSV) is
/// named as not UTF-8, with what to do.
#[test]
fn a_manifest_saved_in_another_encoding_says_so() {
    let p = exported();
    let path = export_dir(p.path()).join("manifest.csv");
    let mut bytes = std::fs::read(&path).unwrap();
    // 教育 in GBK, in the middle of the first data line.
    let at = bytes.iter().position(|&b| b == b'\n').unwrap() + 5;
    bytes.splice(at..at, [0xbd, 0xcc, 0xd3, 0xfd]);
    std::fs::write(&path, bytes).unwrap();
    let o = mail_cmd(&["mail", "--dry-run"], p.path(), &[]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("line 2: it is not UTF-8 text (was it saved in another encoding?)")
            && err.contains("export again"),
        "{err}"
    );
}

/// M36, M37: a line break in the edition title is blamed on yearbook.toml, not on the subject
/// template; path separators and characters Windows forbids never reach the attachment's name.
#[test]
fn the_title_is_blamed_for_its_line_break_and_cleaned_for_the_file_name() {
    let p = exported();
    let config = p.path().join("yearbook.toml");
    let good = std::fs::read_to_string(&config).unwrap();
    let title = "title = { zh = \"测试年鉴\", en = \"Test Yearbook\" }";
    assert!(good.contains(title), "{good}");
    std::fs::write(&config, good.replace(title, "title = { zh = \"测试\\n年鉴\", en = \"Test Yearbook\" }")).unwrap();
    let o = mail_cmd(&["mail", "--dry-run"], p.path(), &[]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("yearbook.toml") && err.contains("the title `测试\\n年鉴` holds a line break"), "{err}");
    assert!(!err.contains("mail-subject.txt.j2"), "{err}");

    let evil = r#"title = { zh = "../../.bashrc\\C:\\城市\"民生\"发展*?<>|统计年鉴", en = "Test Yearbook" }"#;
    std::fs::write(&config, good.replace(title, evil)).unwrap();
    let loaded = yearbook::config::Config::load(&config).unwrap();
    let composer = yearbook::departments::mail::Composer::new(&loaded, loaded.year).unwrap();
    let entries = yearbook::departments::manifest::read_manifest(&export_dir(p.path())).unwrap();
    let name = composer.attachment_name(&entries[0]);
    assert!(name.starts_with(".._.._.bashrc_C__城市_民生_发展_____统计年鉴2025-"), "{name}");
    assert!(!name.contains(['/', '\\', ':', '*', '?', '"', '<', '>', '|']), "{name}");
}

/// M10: the certificate a plain `openssl req -x509` makes is a CA certificate; presented as the
/// server's own, no TLS client may accept it even when it is named in SSL_CERT_FILE. The hint
/// says so and what to do instead, rather than to name the file that was named.
#[test]
fn a_ca_certificate_used_as_the_servers_own_is_explained() {
    if !aiosmtpd_available() {
        return;
    }
    let p = exported();
    let certs = tempfile::tempdir().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    let (cert_file, key_file) = (certs.path().join("cert.pem"), certs.path().join("key.pem"));
    std::fs::write(&cert_file, cert.pem()).unwrap();
    std::fs::write(&key_file, key.serialize_pem()).unwrap();
    let server = Server::start(&["--cert", cert_file.to_str().unwrap(), "--key", key_file.to_str().unwrap()]);
    let args =
        ["mail", "--smtp-host", "localhost", "--smtp-port", &server.port(), "--tls", "starttls", "--timeout", "5"];
    let o = mail_cmd(&args, p.path(), &[("SSL_CERT_FILE", cert_file.to_str().unwrap())]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("CaUsedAsEndEntity") && err.contains("presents a CA certificate as its own"), "{err}");
    assert!(err.contains("basicConstraints=CA:FALSE") && err.contains("nothing was sent"), "{err}");
    assert_eq!(server.received().len(), 0);
}

// `mail --collect`: the collection workbooks of `yearbook collect` go out with the same job, with
// the [collect] templates and deadline, and their own send log.

const COLLECT_TABLE: &str = "\n[collect]\ndeadline = \"2027-02-15\"\n";

/// A test project with `[mail]` and `[collect]`, its edition exported by department and its
/// 2026 collection workbooks written.
fn collected() -> tempfile::TempDir {
    let p = exported();
    let config = p.path().join("yearbook.toml");
    let body = std::fs::read_to_string(&config).unwrap() + COLLECT_TABLE;
    std::fs::write(&config, body).unwrap();
    let o = mail_cmd(&["collect"], p.path(), &[]);
    assert!(o.status.success(), "collect failed:\n{}", text(&o.stderr));
    p
}

fn collect_dir(p: &Path) -> PathBuf {
    p.join("dist/2026-collect")
}

/// Each department's (to, cc) as data/catalogue/departments.toml gives them for `city` (its
/// office there, else the department's own addresses).
fn catalogue_recipients(p: &Path, city: &str) -> std::collections::BTreeMap<String, (Vec<String>, Vec<String>)> {
    let text = std::fs::read_to_string(p.join("data/catalogue/departments.toml")).unwrap();
    let doc: toml::Value = toml::from_str(&text).unwrap();
    let list = |v: Option<&toml::Value>| -> Vec<String> {
        v.and_then(|v| v.as_array())
            .map(|a| a.iter().map(|s| s.as_str().unwrap().to_string()).collect())
            .unwrap_or_default()
    };
    doc["department"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let office = d.get("city").and_then(|c| c.get(city));
            let (to, cc) = match office {
                Some(o) => (list(o.get("to")), list(o.get("cc"))),
                None => (list(d.get("to")), list(d.get("cc"))),
            };
            (d["id"].as_str().unwrap().to_string(), (to, cc))
        })
        .collect()
}

#[test]
fn collect_mail_sends_each_department_its_collection_workbook_with_the_deadline_once() {
    if !aiosmtpd_available() {
        return;
    }
    let p = collected();
    let server = Server::start(&[]);
    let send = ["mail", "--collect", "--smtp-host", "127.0.0.1", "--smtp-port", &server.port(), "--tls", "none"];
    let o = mail_cmd(&send, p.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}{}", text(&o.stdout), text(&o.stderr));
    assert!(text(&o.stdout).contains("mailed the 2026 collection workbooks of"), "{}", text(&o.stdout));

    let entries = yearbook::departments::manifest::read_manifest(&collect_dir(p.path())).unwrap();
    assert!(!entries.is_empty());
    let catalogue = catalogue_recipients(p.path(), "testcity");
    let got = server.received();
    let mut expected_copies = 0;
    for e in &entries {
        let (to, cc) = &catalogue[&e.department];
        assert!(!to.is_empty(), "{}: the catalogue gives a recipient", e.department);
        let bytes = std::fs::read(collect_dir(p.path()).join(&e.file)).unwrap();
        let mine: Vec<&Value> = got.iter().filter(|m| m["attachments"][0]["sha256"] == e.sha256.as_str()).collect();
        let envelope: Vec<&str> = mine.iter().map(|m| m["rcpt_to"][0].as_str().unwrap()).collect();
        let wanted: Vec<&str> = to.iter().chain(cc).map(String::as_str).collect();
        assert_eq!(envelope, wanted, "{}: to, then cc, as the catalogue says", e.department);
        expected_copies += wanted.len();
        for m in &mine {
            let subject = m["subject"].as_str().unwrap();
            assert!(
                subject.contains("测试年鉴") && subject.contains("2026年") && subject.contains("数据采集表"),
                "decoded subject: {subject}"
            );
            assert!(subject.contains("2027-02-15") && subject.contains("due 2027-02-15"), "{subject}");
            assert!(subject.contains(&e.department_name.zh) && subject.contains(&e.department_name.en), "{subject}");
            let body = m["body"].as_str().unwrap();
            assert!(body.contains("请于 2027-02-15 前") && body.contains("by 2027-02-15."), "{body}");
            assert!(body.contains(&e.file) && body.contains(&e.sheets[0]), "the body names the file and sheets");
            let a = &m["attachments"][0];
            assert_eq!(a["filename"], e.file.as_str(), "the workbook keeps its name, to come back under it");
            assert_eq!(a["size"], bytes.len(), "{} arrives byte-identical", e.file);
            assert_eq!(a["type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
            assert_eq!(m["mail_from"], "office@yearbook.example");
            assert!(m["message_id"].as_str().unwrap().starts_with("<yearbook-collect-2026."), "{}", m["message_id"]);
        }
        // What arrived is a collection workbook of its department: import reads its identity.
        let id = yearbook::collect::import::identity(&bytes).unwrap();
        assert_eq!((id["department"].as_str(), id["year"].as_str()), (e.department.as_str(), "2026"));
        assert_eq!(id["deadline"], "2027-02-15");
    }
    assert_eq!(got.len(), expected_copies, "one copy per recipient: {got:#?}");

    // The collection's own send log; the export's folder has none.
    let log = std::fs::read_to_string(collect_dir(p.path()).join("sent-log.csv")).unwrap();
    assert_eq!(log.matches(",delivered,").count(), expected_copies, "{log}");
    assert!(!export_dir(p.path()).join("sent-log.csv").exists(), "the export's log is not touched");

    // Never twice.
    let o = mail_cmd(&send, p.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(server.received().len(), expected_copies, "nothing is sent twice");
    assert!(
        text(&o.stdout).contains(&format!("0 delivered, {expected_copies} already delivered before")),
        "{}",
        text(&o.stdout)
    );

    // The edition's workbooks go to the same people: their log is another one, so they are sent.
    let edition = ["mail", "--smtp-host", "127.0.0.1", "--smtp-port", &server.port(), "--tls", "none"];
    let o = mail_cmd(&edition, p.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let edition_copies = sent_log_lines(p.path());
    assert!(edition_copies > 0);
    assert_eq!(server.received().len(), expected_copies + edition_copies);
    let log_after = std::fs::read_to_string(collect_dir(p.path()).join("sent-log.csv")).unwrap();
    assert_eq!(log_after, log, "mailing the edition does not write the collection's log");
}

#[test]
fn collect_mail_dry_run_writes_the_messages_and_sends_nothing() {
    let p = collected();
    let o = mail_cmd(&["mail", "--collect", "--dry-run"], p.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}{}", text(&o.stdout), text(&o.stderr));
    let dir = collect_dir(p.path());
    let entries = yearbook::departments::manifest::read_manifest(&dir).unwrap();
    for e in &entries {
        let eml = dir.join("outbox").join(e.file.replace(".xlsx", ".eml"));
        // Parsed by Python's email package, as a mail client would.
        let script = "import email,sys,json\nfrom email import policy\nm=email.message_from_binary_file(open(sys.argv[1],'rb'),policy=policy.default)\nprint(json.dumps({'subject':str(m['Subject']),'body':m.get_body(('plain',)).get_content(),'files':[a.get_filename() for a in m.iter_attachments()]}))";
        let out = Command::new("python3").args(["-c", script]).arg(&eml).output().unwrap();
        assert!(out.status.success(), "{}: {}", eml.display(), text(&out.stderr));
        let m: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(m["subject"].as_str().unwrap().contains("due 2027-02-15"), "{}", m["subject"]);
        assert!(m["body"].as_str().unwrap().contains("2027-02-15"));
        assert_eq!(m["files"], serde_json::json!([e.file]));
    }
    let log = std::fs::read_to_string(dir.join("sent-log.csv")).unwrap_or_default();
    assert_eq!(log.matches(",delivered,").count(), 0, "a dry run delivers nothing");
}

#[test]
fn collect_mail_refuses_without_a_deadline_or_with_another_than_the_workbooks_print() {
    let p = collected();
    let config = p.path().join("yearbook.toml");
    let original = std::fs::read_to_string(&config).unwrap();

    // The deadline moved after the workbooks were written: they would say one date, the message
    // another.
    std::fs::write(&config, original.replace("2027-02-15", "2027-03-01")).unwrap();
    let o = mail_cmd(&["mail", "--collect", "--dry-run"], p.path(), &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stdout));
    let out = text(&o.stdout);
    assert!(out.contains("wrote 0 message(s)"), "{out}");
    assert!(
        out.contains("prints the deadline 2027-02-15, but [collect] deadline in yearbook.toml is now 2027-03-01")
            && out.contains("run `yearbook collect` again"),
        "{out}"
    );

    // No deadline at all: nothing is composed, and `check` says so first.
    std::fs::write(&config, original.replace("deadline = \"2027-02-15\"\n", "")).unwrap();
    let o = mail_cmd(&["mail", "--collect", "--dry-run"], p.path(), &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stdout));
    assert!(text(&o.stderr).contains("[collect] has no `deadline`"), "{}", text(&o.stderr));
    let o = mail_cmd(&["check", "--format", "short"], p.path(), &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stdout).contains("yearbook.toml:")
            && text(&o.stdout).contains("error[collect-mail]: [collect] has no `deadline`"),
        "{}",
        text(&o.stdout)
    );

    // A template that does not render for the departments: `check` finds it as mail would.
    let templates = p.path().join("templates");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(templates.join("subject.j2"), "{{ year }} {{ no_such_variable }}").unwrap();
    let with_template = original.replace(
        "[collect]\n",
        &format!("[collect]\nsubject = {:?}\n", templates.join("subject.j2").display().to_string()),
    );
    std::fs::write(&config, with_template).unwrap();
    let o = mail_cmd(&["check", "--format", "short"], p.path(), &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stdout));
    assert!(
        text(&o.stdout).contains("error[collect-mail]:") && text(&o.stdout).contains("no_such_variable"),
        "{}",
        text(&o.stdout)
    );
    let o = mail_cmd(&["mail", "--collect", "--dry-run"], p.path(), &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stdout));

    // Without [collect] there is no collection mail to check.
    std::fs::write(&config, original.replace(COLLECT_TABLE, "\n")).unwrap();
    let o = mail_cmd(&["check", "--format", "short"], p.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
}
