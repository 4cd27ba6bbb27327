//! Call-to-action buttons of kind `open_ticket`: their fields, and the ticket a click opens.

use crate::validation::trimmed_text;

/// What a button does. Only `open_ticket` exists today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CtaKind {
    OpenTicket,
}

impl CtaKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CtaKind::OpenTicket => "open_ticket",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        (raw == "open_ticket").then_some(CtaKind::OpenTicket)
    }
}

pub const LABEL_MAX: usize = 60;
pub const TEMPLATE_MAX: usize = 200;
/// How many of the visitor's latest messages a click copies into the ticket body.
pub const RECENT_MESSAGES: usize = 10;

/// The button's text: 1–60 characters.
pub fn parse_label(raw: &str) -> Result<String, String> {
    trimmed_text(raw, "the label", 1, LABEL_MAX)
}

/// A subject template: at most 200 characters, with the placeholders `{visitor_name}`,
/// `{visitor_email}`, `{agent_name}` and `{first_message}`; blank means none.
pub fn parse_subject_template(raw: &str) -> Result<Option<String>, String> {
    let value = trimmed_text(raw, "the subject template", 0, TEMPLATE_MAX)?;
    if value.is_empty() {
        return Ok(None);
    }
    let mut rest = value.as_str();
    while let Some(start) = rest.find('{') {
        let Some(end) = rest[start..].find('}') else {
            return Err("the subject template has a `{` without its `}`".into());
        };
        let name = &rest[start + 1..start + end];
        if !PLACEHOLDERS.contains(&name) {
            return Err(format!(
                "unknown placeholder `{{{name}}}`: use {}",
                PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(", ")
            ));
        }
        rest = &rest[start + end + 1..];
    }
    Ok(Some(value))
}

const PLACEHOLDERS: [&str; 4] = ["visitor_name", "visitor_email", "agent_name", "first_message"];

/// What a click knows about its conversation.
#[derive(Debug, Clone, Default)]
pub struct ClickContext<'a> {
    pub label: &'a str,
    pub agent_name: &'a str,
    pub visitor_name: Option<&'a str>,
    pub visitor_email: Option<&'a str>,
    /// The visitor's messages, oldest first.
    pub visitor_messages: Vec<&'a str>,
}

fn one_line(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    let cut: String = flat.chars().take(max.saturating_sub(1)).collect();
    format!("{}…", cut.trim_end())
}

/// The ticket subject of a click: the rendered template, or the visitor's first message.
pub fn click_subject(template: Option<&str>, ctx: &ClickContext<'_>) -> String {
    let first = ctx.visitor_messages.first().copied().unwrap_or("");
    let visitor = ctx.visitor_name.or(ctx.visitor_email).unwrap_or("a visitor");
    let subject = match template {
        Some(t) => t
            .replace("{visitor_name}", ctx.visitor_name.unwrap_or("a visitor"))
            .replace("{visitor_email}", ctx.visitor_email.unwrap_or(""))
            .replace("{agent_name}", ctx.agent_name)
            .replace("{first_message}", &one_line(first, 80)),
        None if !first.trim().is_empty() => one_line(first, 120),
        None => format!("{} from {visitor}", ctx.label),
    };
    let subject = one_line(&subject, crate::ticket::SUBJECT_MAX);
    if subject.is_empty() { format!("{} from {visitor}", ctx.label) } else { subject }
}

/// The ticket body of a click: who clicked what, and the visitor's recent messages.
pub fn click_body(ctx: &ClickContext<'_>) -> String {
    let mut body = format!("The visitor clicked \"{}\" in a chat with {}.", ctx.label, ctx.agent_name);
    match (ctx.visitor_name, ctx.visitor_email) {
        (Some(n), Some(e)) => body.push_str(&format!("\nVisitor: {n} <{e}>")),
        (Some(n), None) => body.push_str(&format!("\nVisitor: {n}")),
        (None, Some(e)) => body.push_str(&format!("\nVisitor: <{e}>")),
        (None, None) => {}
    }
    let recent = &ctx.visitor_messages[ctx.visitor_messages.len().saturating_sub(RECENT_MESSAGES)..];
    if recent.is_empty() {
        body.push_str("\n\nThe visitor has not written anything yet.");
    } else {
        body.push_str("\n\nRecent messages from the visitor:");
        for m in recent {
            body.push_str("\n> ");
            body.push_str(&m.trim().replace('\n', "\n> "));
        }
    }
    body.chars().take(crate::ticket::BODY_MAX).collect()
}

/// What the chat widget shows after a click.
pub fn click_message(reference: &str) -> String {
    format!("Thanks! We've opened ticket #{reference}; our team will follow up with you.")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx<'a>(messages: Vec<&'a str>) -> ClickContext<'a> {
        ClickContext {
            label: "Talk to a human",
            agent_name: "Helpdesk Bot",
            visitor_name: Some("Jane"),
            visitor_email: Some("jane@example.com"),
            visitor_messages: messages,
        }
    }

    #[test]
    fn templates_are_checked() {
        assert_eq!(parse_subject_template(" ").unwrap(), None);
        assert!(parse_subject_template("Help for {visitor_name}").unwrap().is_some());
        assert!(parse_subject_template("Help for {visitor}").is_err());
        assert!(parse_subject_template("Help for {visitor_name").is_err());
        assert!(parse_label("").is_err());
    }

    #[test]
    fn subjects_render_and_fit() {
        let c = ctx(vec!["My  order\nnever arrived", "hello?"]);
        assert_eq!(
            click_subject(Some("Callback for {visitor_name} ({agent_name})"), &c),
            "Callback for Jane (Helpdesk Bot)"
        );
        assert_eq!(click_subject(None, &c), "My order never arrived");
        assert_eq!(click_subject(None, &ctx(vec![])), "Talk to a human from Jane");
        let long = "x".repeat(500);
        let subject = click_subject(Some("{first_message} {first_message}"), &ctx(vec![&long]));
        assert!(subject.chars().count() <= 120);
    }

    #[test]
    fn bodies_quote_the_recent_messages() {
        let messages: Vec<String> = (1..=12).map(|i| format!("message {i}")).collect();
        let c = ctx(messages.iter().map(String::as_str).collect());
        let body = click_body(&c);
        assert!(body.contains("Jane <jane@example.com>"));
        assert!(!body.contains("> message 2\n"), "only the last ten");
        assert!(body.contains("> message 3") && body.contains("> message 12"));
    }
}
