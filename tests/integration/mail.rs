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

/// Manifest lines as (department, file, sha256, to, cc), read naively: the test data has no
/// quoted fields.
fn manifest(p: &Path) -> Vec<[String; 5]> {
    let text = std::fs::read_to_string(export_dir(p).join("manifest.csv")).unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            [f[0], f[8], f[9], f[6], f[7]].map(str::to_string)
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

fn sent_log_lines(p: &Path) -> usize {
    std::fs::read_to_string(export_dir(p).join("sent-log.csv")).map_or(0, |t| t.lines().count().saturating_sub(1))
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
    assert!(out.contains(&format!("0 delivered, {} already delivered before, 2 not delivered", got.len())), "{out}");
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
