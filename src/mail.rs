//! E-mail notifications over SMTP (lettre, TLS by rustls): the words of each message in the
//! recipient's language (English, Simplified or Traditional Chinese) and the sending. Who
//! gets what is decided in [`crate::app::notify`]; this adapter only words and sends.
//!
//! Messages are `text/plain` in UTF-8: nothing from a spec or a field is ever put into
//! markup. Links point at the server's public URL (`procdoc serve --public-url`).

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::{SmtpTransport, Transport};

use crate::app::notify::{Digest, Recipient, StepNotice};
use crate::render::labels::Script;

/// How long one SMTP conversation may take before it is given up (seconds).
const SMTP_TIMEOUT: u64 = 20;

/// How to reach the mail server and whom messages come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailOptions {
    /// `smtp://host:port` (plain, or `?tls=required` for STARTTLS), `smtps://host:port`
    /// (TLS from the start); `user:password@` before the host to sign in.
    pub smtp: String,
    /// The sender address (`procdoc@example.com` or `QMS <procdoc@example.com>`).
    pub from: String,
}

/// Why mail could not be set up or a message not be sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("the SMTP address `{0}` cannot be used: {1}")]
    Url(String, String),
    #[error("the e-mail address `{0}` cannot be used: {1}")]
    Address(String, String),
    #[error("the message to {0} cannot be made: {1}")]
    Message(String, String),
    #[error("sending to {0} failed: {1}")]
    Send(String, String),
}

/// A configured sender.
pub struct Mailer {
    transport: SmtpTransport,
    from: Mailbox,
    base_url: String,
}

/// A message worded and addressed, before it is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: Recipient,
    pub subject: String,
    pub body: String,
}

impl Mailer {
    /// Reads the options; links start with `base_url` (`https://qms.example.com`). No
    /// connection is made until the first message is sent.
    pub fn new(options: &MailOptions, base_url: &str) -> Result<Mailer, MailError> {
        let transport = SmtpTransport::from_url(&options.smtp)
            .map_err(|e| MailError::Url(redacted(&options.smtp), e.to_string()))?
            .timeout(Some(Duration::from_secs(SMTP_TIMEOUT)))
            .build();
        let from = options
            .from
            .parse::<Mailbox>()
            .map_err(|e| MailError::Address(options.from.clone(), e.to_string()))?;
        Ok(Mailer {
            transport,
            from,
            base_url: base_url.trim_end_matches('/').to_string(),
        })
    }

    /// The address of a step's form on the server.
    fn link(&self, reference: &str, step: &str) -> String {
        format!(
            "{}{}",
            self.base_url,
            crate::web::runs::step_path(reference, step)
        )
    }

    /// The message telling its recipient that a step waits for their department.
    pub fn step_mail(&self, notice: &StepNotice) -> Mail {
        let w = Words::of(&notice.to.lang);
        let s = &notice.step;
        let depts = s.depts.join(" / ");
        let subject = format!(
            "{} · {}: {}",
            s.reference,
            s.step_title,
            (w.waiting_for)(&depts)
        );
        let body = format!(
            "{greeting}\n\n{intro}\n\n{run}: {reference}\n{procedure}: {doc} {doc_title}\n{flow}: {flow_title}\n{step}: {step_title}\n{due}: {when}\n\n{open}: {link}\n",
            greeting = (w.greeting)(&notice.to.name),
            intro = (w.step_intro)(&depts),
            run = w.run,
            reference = s.reference,
            procedure = w.procedure,
            doc = s.doc,
            doc_title = s.doc_title,
            flow = w.flow,
            flow_title = s.flow_title,
            step = w.step,
            step_title = s.step_title,
            due = w.due,
            when = s.due.as_deref().unwrap_or(w.no_deadline),
            open = w.open,
            link = self.link(&s.reference, &s.step),
        );
        Mail {
            to: notice.to.clone(),
            subject,
            body,
        }
    }

    /// One person's overdue digest of the day.
    pub fn digest_mail(&self, digest: &Digest) -> Mail {
        let w = Words::of(&digest.to.lang);
        // An escalated step that is not overdue is not called overdue.
        let subject = if digest.items.iter().all(|i| i.overdue) {
            (w.digest_subject)(digest.items.len(), &digest.day)
        } else {
            (w.digest_subject_escalated)(digest.items.len(), &digest.day)
        };
        let mut body = format!(
            "{}\n\n{}\n",
            (w.greeting)(&digest.to.name),
            (w.digest_intro)(&digest.day)
        );
        for i in &digest.items {
            let due = i.due.as_ref().map_or("", |d| d.local.as_str());
            // Whose inbox it is in: their own work, and those it was escalated to.
            let depts: Vec<&str> = i
                .depts
                .iter()
                .chain(&i.escalated_to)
                .map(String::as_str)
                .collect();
            let mut state = Vec::new();
            if let Some(late) = i.late_by.as_deref().filter(|_| i.overdue) {
                state.push(format!("{}: {due}, {}: {late}", w.due, w.late_by));
            }
            if let Some(since) = &i.escalated_from {
                state.push((w.escalated)(&i.escalation.join(", "), &since.local));
            }
            body.push_str(&format!(
                "\n- {} · {} {} · {} ({})\n  {}\n  {}\n",
                i.reference,
                i.doc,
                i.flow_title,
                i.step_title,
                depts.join(" / "),
                state.join("; "),
                self.link(&i.reference, &i.step),
            ));
        }
        Mail {
            to: digest.to.clone(),
            subject,
            body,
        }
    }

    /// Sends one message as `text/plain` in UTF-8.
    pub fn send(&self, mail: &Mail) -> Result<(), MailError> {
        let to_text = format!("{} <{}>", mail.to.name, mail.to.email);
        let address = mail
            .to
            .email
            .parse()
            .map_err(|e: lettre::address::AddressError| {
                MailError::Address(mail.to.email.clone(), e.to_string())
            })?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(Some(one_line(&mail.to.name)), address))
            .subject(one_line(&mail.subject))
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body.clone())
            .map_err(|e| MailError::Message(to_text.clone(), e.to_string()))?;
        self.transport
            .send(&message)
            .map(|_| ())
            .map_err(|e| MailError::Send(to_text, e.to_string()))
    }
}

/// A header text on one line: a title written over several lines in a spec (or any other
/// control character) cannot start a header of its own.
fn one_line(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// An SMTP address without its password, for error messages and logs.
fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://***{}", &url[..scheme], &url[at..])
        }
        _ => url.to_string(),
    }
}

/// The words of the messages in one language.
struct Words {
    greeting: fn(&str) -> String,
    waiting_for: fn(&str) -> String,
    step_intro: fn(&str) -> String,
    digest_subject: fn(usize, &str) -> String,
    digest_subject_escalated: fn(usize, &str) -> String,
    digest_intro: fn(&str) -> String,
    /// `escalated to PUR, GM since 2026-03-13 15:00`.
    escalated: fn(&str, &str) -> String,
    run: &'static str,
    procedure: &'static str,
    flow: &'static str,
    step: &'static str,
    due: &'static str,
    no_deadline: &'static str,
    late_by: &'static str,
    open: &'static str,
}

impl Words {
    fn of(lang: &str) -> Words {
        match Script::of(lang) {
            Script::English => Words {
                greeting: |name| format!("Hello {name},"),
                waiting_for: |depts| format!("waiting for {depts}"),
                step_intro: |depts| format!("A step is now waiting for {depts}:"),
                digest_subject: |n, day| {
                    format!("{n} overdue step{} on {day}", if n == 1 { "" } else { "s" })
                },
                digest_subject_escalated: |n, day| {
                    format!(
                        "{n} step{} overdue or escalated on {day}",
                        if n == 1 { "" } else { "s" }
                    )
                },
                digest_intro: |day| {
                    format!("These steps of your departments are overdue or escalated on {day}:")
                },
                escalated: |to, since| format!("escalated to {to} since {since}"),
                run: "Run",
                procedure: "Procedure",
                flow: "Flow",
                step: "Step",
                due: "Due",
                no_deadline: "no deadline",
                late_by: "late by",
                open: "Open it",
            },
            Script::Simplified => Words {
                greeting: |name| format!("{name}，您好："),
                waiting_for: |depts| format!("待{depts}处理"),
                step_intro: |depts| format!("有一个步骤正等待{depts}处理："),
                digest_subject: |n, day| format!("{day} 逾期步骤 {n} 项"),
                digest_subject_escalated: |n, day| format!("{day} 逾期或已上报步骤 {n} 项"),
                digest_intro: |day| format!("截至 {day}，您所在部门的以下步骤已逾期或已上报："),
                escalated: |to, since| format!("自 {since} 起已上报至 {to}"),
                run: "编号",
                procedure: "程序",
                flow: "流程",
                step: "步骤",
                due: "期限",
                no_deadline: "无期限",
                late_by: "逾期",
                open: "打开",
            },
            Script::Traditional => Words {
                greeting: |name| format!("{name}，您好："),
                waiting_for: |depts| format!("待{depts}處理"),
                step_intro: |depts| format!("有一個步驟正等待{depts}處理："),
                digest_subject: |n, day| format!("{day} 逾期步驟 {n} 項"),
                digest_subject_escalated: |n, day| format!("{day} 逾期或已呈報步驟 {n} 項"),
                digest_intro: |day| format!("截至 {day}，您所在部門的以下步驟已逾期或已呈報："),
                escalated: |to, since| format!("自 {since} 起已呈報至 {to}"),
                run: "編號",
                procedure: "程序",
                flow: "流程",
                step: "步驟",
                due: "期限",
                no_deadline: "無期限",
                late_by: "逾期",
                open: "開啟",
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{one_line, redacted};

    #[test]
    fn a_header_text_stays_on_one_line() {
        assert_eq!(
            one_line("SO-1 · Pack\r\nBcc: x@example.com"),
            "SO-1 · Pack Bcc: x@example.com"
        );
    }

    #[test]
    fn a_password_in_the_smtp_address_is_never_shown() {
        assert_eq!(
            redacted("smtps://me:secret@mail.example.com:465"),
            "smtps://***@mail.example.com:465"
        );
        assert_eq!(redacted("smtp://localhost:25"), "smtp://localhost:25");
    }
}
