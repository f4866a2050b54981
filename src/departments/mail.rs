//! Mailing the departments' workbooks: each line of an export's manifest becomes one message
//! (bilingual subject and body from the templates named in `[mail]`, the workbook attached),
//! checked against the manifest's hash before it is composed. Messages are written to an
//! outbox (`--dry-run`) or sent over SMTP ([`send`]); the send log ([`log`]) makes a second
//! run skip what was delivered.
//!
//! Nothing here prints, exits or reads the environment: the command passes the password and
//! the extra certificate in.

use std::path::Path;
use std::time::SystemTime;

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{Address, Message};
use minijinja::syntax::SyntaxConfig;
use minijinja::value::Serde;
use minijinja::{Environment, UndefinedBehavior, Value, context};

use crate::config::{Config, Date, MailConfig};
use crate::departments::manifest::Entry;
use crate::error::AppError;
use crate::model::Text;
use crate::names::address_problem;
use crate::output::sha256_hex;
use crate::year::Year;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// One message, ready to write or send: the manifest line it is for, its envelope recipients
/// (to, then cc) and the formatted bytes.
#[derive(Debug)]
pub struct Letter {
    pub entry: Entry,
    pub recipients: Vec<String>,
    /// The same for every run that sends this workbook to these recipients, so that a copy
    /// that does arrive twice is merged by mail clients.
    pub message_id: String,
    pub bytes: Vec<u8>,
}

/// A manifest line that cannot be mailed, and why (a changed file, no recipient, …).
#[derive(Debug)]
pub struct Unsendable {
    pub entry: Entry,
    pub problem: String,
}

/// What the messages carry: the edition's workbooks (`export`), or the collection workbooks
/// (`collect`) that departments fill in and return by a deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Round {
    Edition,
    /// The date returns are due, from `[collect] deadline`.
    Collection {
        deadline: Date,
    },
}

/// Turns manifest lines into messages with the sender of `[mail]` and the templates of the round
/// (`[mail]`'s for the edition, `[collect]`'s for a collection).
pub struct Composer {
    from: Mailbox,
    reply_to: Option<Mailbox>,
    env: Environment<'static>,
    subject_name: String,
    body_name: String,
    year: Year,
    round: Round,
    config: Config,
}

impl Composer {
    /// Reads `[mail]` and its templates; every problem names yearbook.toml or the template.
    pub fn new(config: &Config, year: Year) -> Result<Composer, AppError> {
        Composer::for_round(config, year, Round::Edition)
    }

    /// The composer of a collection round: `[mail]`'s sender, `[collect]`'s templates, and the
    /// deadline, without which a request to fill in a workbook is not sent.
    pub fn collection(config: &Config, year: Year) -> Result<Composer, AppError> {
        let Some(deadline) = config.collect.deadline else {
            return Err(AppError::Config {
                path: config.path.clone(),
                message: "[collect] has no `deadline`, and a collection request says when the workbooks are due; \
                          add `deadline = \"YYYY-MM-DD\"` under [collect], run `yearbook collect` again so that \
                          the workbooks print it too, then mail them (see docs/collecting.md)"
                    .into(),
            });
        };
        Composer::for_round(config, year, Round::Collection { deadline })
    }

    fn for_round(config: &Config, year: Year, round: Round) -> Result<Composer, AppError> {
        let bad = |message: String| AppError::Config { path: config.path.clone(), message };
        let Some(mail) = &config.mail else {
            return Err(bad("there is no [mail] table; add one with `from = \"Office <office@host.domain>\"` (see \
                            docs/mailing-workbooks.md)"
                .into()));
        };
        let from = mailbox(&mail.from).map_err(|e| bad(format!("{}: mail.from {e}", mail.from_at)))?;
        let reply_to = match (&mail.reply_to, &mail.reply_to_at) {
            (Some(r), Some(at)) => Some(mailbox(r).map_err(|e| bad(format!("{at}: mail.reply_to {e}")))?),
            _ => None,
        };
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        // Block tags on lines of their own leave no blank lines, as in the book's templates.
        let syntax = SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .map_err(|e| AppError::Template(e.to_string()))?;
        env.set_syntax(syntax);
        let (subject, body, set_by) = match round {
            Round::Edition => (&mail.subject, &mail.body, "[mail]"),
            Round::Collection { .. } => (&config.collect.subject, &config.collect.body, "[collect]"),
        };
        let (subject_name, body_name) = (template(&mut env, subject, set_by)?, template(&mut env, body, set_by)?);
        Ok(Composer { from, reply_to, env, subject_name, body_name, year, round, config: config.clone() })
    }

    /// The round the messages are for.
    pub fn round(&self) -> Round {
        self.round
    }

    /// What makes the folder's workbooks and manifest anew, for messages that ask for it.
    pub fn remake(&self) -> &'static str {
        match self.round {
            Round::Edition => "export again",
            Round::Collection { .. } => "run `yearbook collect` again",
        }
    }

    /// The mail settings this composer was made from.
    pub fn mail(&self) -> Option<&MailConfig> {
        self.config.mail.as_ref()
    }

    /// The sender's envelope address.
    pub fn sender(&self) -> &Address {
        &self.from.email
    }

    /// The file name the department sees: the title, year, department and city, in Chinese,
    /// encoded by RFC 2231 in the message.
    /// Path separators and the characters Windows forbids in a file name become `_`, so the
    /// name is a plain file name wherever the department saves it.
    /// A collection workbook keeps its own file name: the department is asked to return it
    /// under that name, and import's findings name it.
    pub fn attachment_name(&self, entry: &Entry) -> String {
        if let Round::Collection { .. } = self.round {
            return entry.file.clone();
        }
        let city = entry.city.as_ref().map(|(_, n)| format!("-{}", n.zh)).unwrap_or_default();
        let name = format!("{}{}-{}{city}.xlsx", self.config.title.zh, self.year, entry.department_name.zh);
        name.chars()
            .map(|c| {
                if c.is_control() || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') {
                    '_'
                } else {
                    c
                }
            })
            .collect()
    }

    /// The Message-ID of a workbook for its recipients in this edition: the same in every run.
    pub fn message_id(&self, entry: &Entry, recipients: &[String]) -> String {
        let mut who: Vec<String> = recipients.iter().map(|r| r.to_lowercase()).collect();
        who.sort();
        let city = entry.city.as_ref().map(|(id, _)| format!("-{id}")).unwrap_or_default();
        // A collection request is another message than the edition's workbook, even where the
        // hashes could meet.
        let round = match self.round {
            Round::Edition => "",
            Round::Collection { .. } => "collect-",
        };
        format!(
            "<yearbook-{round}{}.{}{city}.{}.{}@{}>",
            self.year,
            entry.department,
            &entry.sha256[..entry.sha256.len().min(16)],
            &sha256_hex(who.join("\n").as_bytes())[..12],
            self.from.email.domain()
        )
    }

    /// The message for one manifest line, if its file in `dir` is the one the manifest hashed
    /// and it has someone to go to.
    pub fn letter(&self, dir: &Path, entry: &Entry, date: SystemTime) -> Result<Result<Letter, Unsendable>, AppError> {
        let unsendable = |problem: String| Ok(Err(Unsendable { entry: entry.clone(), problem }));
        let path = dir.join(&entry.file);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => return unsendable(format!("cannot read `{}`: {e}; {}", path.display(), self.remake())),
        };
        if sha256_hex(&bytes) != entry.sha256 {
            return unsendable(format!(
                "`{}` is not the file the manifest lists (its sha256 differs); {}",
                path.display(),
                self.remake()
            ));
        }
        if entry.recipients.to.is_empty() {
            return unsendable(format!(
                "no recipient: add `to = [\"…\"]` to department `{}` in data/catalogue/departments.toml, then {}",
                entry.department,
                self.remake()
            ));
        }
        for (what, name) in names(entry) {
            if let Some(problem) = crate::names::header_text_problem(name) {
                return unsendable(format!(
                    "the {what} `{}` {problem}; it would break the message's headers: correct it (see `yearbook \
                     check`), then {}",
                    name.escape_debug(),
                    self.remake()
                ));
            }
        }
        let mut recipients = Vec::new();
        let mut builder = Message::builder().from(self.from.clone()).date(date);
        if let Some(r) = &self.reply_to {
            builder = builder.reply_to(r.clone());
        }
        let name = Some(match &entry.city {
            Some((_, city)) => format!("{}{}", city.zh, entry.department_name.zh),
            None => entry.department_name.zh.clone(),
        });
        for (list, cc) in [(&entry.recipients.to, false), (&entry.recipients.cc, true)] {
            for a in list {
                let address = match address_problem(a).map_or_else(|| a.parse::<Address>().ok(), |_| None) {
                    Some(address) => address,
                    None => {
                        let why = address_problem(a).unwrap_or_else(|| format!("`{a}` is not an e-mail address"));
                        return unsendable(format!(
                            "{why}; correct it in data/catalogue/departments.toml, then {}",
                            self.remake()
                        ));
                    }
                };
                let mbox = Mailbox::new(name.clone(), address);
                builder = if cc { builder.cc(mbox) } else { builder.to(mbox) };
                recipients.push(a.clone());
            }
        }
        let (subject, body) = self.texts(entry)?;
        let message_id = self.message_id(entry, &recipients);
        builder = builder
            .subject(subject)
            .message_id(Some(message_id.clone()))
            .user_agent(format!("yearbook {}", env!("CARGO_PKG_VERSION")));
        let xlsx = ContentType::parse(XLSX).map_err(|e| AppError::Internal(format!("content type: {e}")))?;
        let message = builder
            .multipart(
                MultiPart::mixed()
                    .singlepart(SinglePart::plain(body))
                    .singlepart(Attachment::new(self.attachment_name(entry)).body(bytes, xlsx)),
            )
            .map_err(|e| AppError::Internal(format!("composing the message for `{}`: {e}", entry.department)))?;
        Ok(Ok(Letter { entry: entry.clone(), recipients, message_id, bytes: message.formatted() }))
    }

    /// Renders the subject and body for a department (and city) as `mail` would, before any
    /// export: what `check` does to find a template `mail` would refuse.
    pub fn rehearse(&self, department: &str, name: &Text, city: Option<(&str, &Text)>) -> Result<(), AppError> {
        let entry = Entry {
            department: department.to_string(),
            department_name: name.clone(),
            city: city.map(|(id, n)| (id.to_string(), n.clone())),
            recipients: Default::default(),
            file: String::new(),
            sha256: String::new(),
            sectors: Vec::new(),
            sheets: Vec::new(),
        };
        self.texts(&entry).map(drop)
    }

    /// Subject and body, rendered from the templates.
    pub fn texts(&self, entry: &Entry) -> Result<(String, String), AppError> {
        let c = &self.config;
        let ctx = context! {
            year => self.year.get(),
            title => Value::from(Serde(&c.title)),
            publisher => Value::from(Serde(&c.publisher)),
            date => c.date.iso(),
            department => context! {
                id => &entry.department,
                zh => &entry.department_name.zh,
                en => &entry.department_name.en,
            },
            city => entry.city.as_ref().map(|(id, n)| context! { id => id, zh => &n.zh, en => &n.en }),
            sheets => &entry.sheets,
            sectors => &entry.sectors,
            attachment => self.attachment_name(entry),
            file => &entry.file,
            sha256 => &entry.sha256,
            deadline => match self.round {
                Round::Collection { deadline } => Some(deadline.iso()),
                Round::Edition => None,
            },
        };
        let render = |name: &str| {
            self.env
                .get_template(name)
                .and_then(|t| t.render(&ctx))
                .map_err(|e| AppError::Template(format!("`{name}`: {e}")))
        };
        let subject = render(&self.subject_name)?;
        // A subject is one line; a template's trailing newline is not part of it.
        let subject = subject.trim().to_string();
        if subject.is_empty() {
            let city = entry.city.as_ref().map(|(id, _)| format!(" and city `{id}`")).unwrap_or_default();
            return Err(AppError::Template(format!(
                "`{}` gives an empty subject for department `{}`{city}; a message without a subject is easily \
                 overlooked or taken for spam: write one in the template",
                self.subject_name, entry.department
            )));
        }
        if subject.contains(['\n', '\r']) {
            if let Some(title) = [&c.title.zh, &c.title.en].into_iter().find(|t| t.contains(['\n', '\r'])) {
                return Err(AppError::Config {
                    path: c.path.clone(),
                    message: format!(
                        "the title `{}` holds a line break, and a mail subject is one line; write the title on one \
                         line",
                        title.escape_debug()
                    ),
                });
            }
            return Err(AppError::Template(format!("`{}` gives a subject of several lines", self.subject_name)));
        }
        Ok((subject, render(&self.body_name)?))
    }
}

/// `Name <address>` or a bare address, with the reason it is not.
fn mailbox(text: &str) -> Result<Mailbox, String> {
    let m: Mailbox =
        text.parse().map_err(|e| format!("`{text}` is not a mailbox ({e}); write `Name <name@host.domain>`"))?;
    match address_problem(m.email.as_ref()) {
        Some(problem) => Err(problem),
        None => Ok(m),
    }
}

/// Loads a template file into `env` under its path, and names the file (and the table of
/// yearbook.toml that names it) on any problem.
fn template(env: &mut Environment<'static>, path: &Path, set_by: &str) -> Result<String, AppError> {
    let text = std::fs::read_to_string(path).map_err(|source| AppError::Io {
        action: if set_by == "[mail]" {
            "read the mail template (set by [mail] in yearbook.toml)"
        } else {
            "read the collection mail template (set by [collect] in yearbook.toml)"
        },
        path: path.to_path_buf(),
        source,
    })?;
    let name = path.display().to_string();
    env.add_template_owned(name.clone(), text).map_err(|e| AppError::Template(format!("`{name}`: {e}")))?;
    Ok(name)
}

/// The names of an entry that go into headers and the attachment's file name.
fn names(entry: &Entry) -> Vec<(&'static str, &str)> {
    let mut out =
        vec![("department name", entry.department_name.zh.as_str()), ("department name", &entry.department_name.en)];
    if let Some((_, city)) = &entry.city {
        out.extend([("city name", city.zh.as_str()), ("city name", city.en.as_str())]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_need_a_local_part_and_a_dotted_domain() {
        for ok in ["education@yearbook.example", "a.b+c@sanmenxia.example"] {
            assert_eq!(address_problem(ok), None, "{ok}");
        }
        for bad in
            ["jiaoyu at example", "office@@x.example", "@x.example", "a@localhost", "a b@x.example", "a@x.example."]
        {
            assert!(address_problem(bad).is_some(), "{bad} must be refused");
        }
    }
}
