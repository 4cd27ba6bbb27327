//! The tool registry: the tools an agent may hand to its LLM, each with a name, the
//! capability it requires, a description, and a JSON-Schema for its input. The server
//! binds each tool to its handler; adding a tool is a `ToolDefinition`, an input parser
//! and one line in `REGISTRY`.

use serde_json::{Value, json};

use crate::agent::Capability;
use crate::ticket::{BODY_MAX, NewTicket, Priority, SUBJECT_MAX};
use crate::validation::{FieldErrors, ValidationError};

/// A tool as the registry knows it.
#[derive(Debug, Clone, Copy)]
pub struct ToolDefinition {
    pub name: &'static str,
    pub capability: Capability,
    pub description: &'static str,
    pub input_schema: fn() -> Value,
}

/// Every tool there is.
pub const REGISTRY: &[ToolDefinition] = &[OPEN_TICKET];

/// The tools an agent with these capabilities may call.
pub fn tools_for(capabilities: &[Capability]) -> Vec<&'static ToolDefinition> {
    REGISTRY.iter().filter(|t| capabilities.contains(&t.capability)).collect()
}

pub fn find(name: &str) -> Option<&'static ToolDefinition> {
    REGISTRY.iter().find(|t| t.name == name)
}

pub const OPEN_TICKET: ToolDefinition = ToolDefinition {
    name: "open_ticket",
    capability: Capability::Ticketing,
    description: "Open a support ticket so that a human on the support team follows up after this chat. \
Use it when the visitor's problem cannot be solved in the conversation: billing disputes, bug reports, \
account problems, complaints, anything that needs a person or more time. Before calling it, make sure you \
know what went wrong. In `body`, write a self-contained summary for the team: the visitor's account, order \
or invoice references, what they were trying to do, what they already tried, and what went wrong (error \
messages, dates, amounts). Set `priority` to `urgent` only for outages or money lost right now, `high` for \
blocked customers, `low` for questions and suggestions. After the call, tell the visitor the ticket \
reference from the result's `message`.",
    input_schema: open_ticket_schema,
};

fn open_ticket_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "subject": {
                "type": "string",
                "description": "One line naming the problem, e.g. \"Refund for order #5521 not received\".",
                "minLength": 1,
                "maxLength": SUBJECT_MAX
            },
            "body": {
                "type": "string",
                "description": "What the team needs to act without asking again: account/order references, what the visitor tried, what went wrong.",
                "minLength": 1,
                "maxLength": BODY_MAX
            },
            "priority": {
                "type": "string",
                "enum": ["low", "normal", "high", "urgent"],
                "default": "normal",
                "description": "How urgent the problem is."
            },
            "email": {
                "type": "string",
                "format": "email",
                "maxLength": 254,
                "description": "The visitor's e-mail address, if they gave it in the chat: the team replies to it."
            }
        },
        "required": ["subject", "body"],
        "additionalProperties": false
    })
}

impl ToolDefinition {
    /// The fields of `input` that the tool's schema declares, and only those: what a call
    /// records in the transcript. Anything else the LLM sent is dropped, so a call cannot
    /// store arbitrary data (or a lot of it) beside the ticket.
    pub fn declared_input(&self, input: &Value) -> Value {
        let schema = (self.input_schema)();
        let (Some(object), Some(declared)) = (input.as_object(), schema["properties"].as_object()) else {
            return Value::Object(serde_json::Map::new());
        };
        let kept = object.iter().filter(|(key, _)| declared.contains_key(*key));
        Value::Object(kept.map(|(key, value)| (key.clone(), value.clone())).collect())
    }
}

/// The longest `tool_call_id`, in characters.
pub const TOOL_CALL_ID_MAX: usize = 200;

/// The LLM's id for a tool call (`toolu_…`, `call_…`): 1–200 characters, trimmed.
pub fn parse_tool_call_id(raw: &str) -> Result<String, String> {
    crate::validation::trimmed_text(raw, "the tool call id", 1, TOOL_CALL_ID_MAX)
}

/// Parses the `open_ticket` input, naming bad fields as `input.<field>`.
pub fn parse_open_ticket(input: &Value) -> Result<NewTicket, ValidationError> {
    let Some(object) = input.as_object() else {
        return Err(ValidationError::field("input", "must be an object with subject, body and priority"));
    };
    let mut errors = FieldErrors::new();
    let text = |field: &str, errors: &mut FieldErrors| -> Option<String> {
        match object.get(field) {
            None | Some(Value::Null) => {
                errors.add(format!("input.{field}"), "this field is required");
                None
            }
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                errors.add(format!("input.{field}"), "must be a string");
                None
            }
        }
    };
    let subject = text("subject", &mut errors);
    let body = text("body", &mut errors);
    let priority = match object.get("priority") {
        None | Some(Value::Null) => None,
        Some(Value::String(p)) => errors.check("input.priority", p.parse::<Priority>()),
        Some(_) => {
            errors.add("input.priority", "must be one of low, normal, high, urgent");
            None
        }
    };
    if let Err(message) = open_ticket_email(input) {
        errors.add("input.email", message);
    }
    if !errors.is_empty() {
        return Err(ValidationError(errors));
    }
    NewTicket::parse(&subject.unwrap_or_default(), &body.unwrap_or_default(), priority).map_err(|e| {
        let renamed =
            e.0.0.into_iter().map(|(field, messages)| (format!("input.{field}"), messages)).collect();
        ValidationError(FieldErrors(renamed))
    })
}

/// The optional `email` of an `open_ticket` input (lower-cased; blank is none).
pub fn open_ticket_email(input: &Value) -> Result<Option<String>, String> {
    match input.get("email") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => crate::workspace::Email::parse(s).map(|e| Some(e.into_inner())),
        Some(_) => Err("must be a string".into()),
    }
}

/// What the bot tells the visitor once the ticket is open.
pub fn ticket_opened_message(reference: &str) -> String {
    format!(
        "I've opened ticket #{reference} for our team. A person will look into it and follow up with you; \
you can mention #{reference} if you contact us again."
    )
}

/// What the bot tells the visitor when the ticket could not be opened.
pub fn ticket_failed_message() -> String {
    "I couldn't open a ticket just now. Please leave your e-mail address and a short description, \
and our team will get back to you."
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ticketing_agents_get_open_ticket() {
        assert_eq!(tools_for(&[Capability::Ticketing]).len(), 1);
        assert!(tools_for(&[Capability::LeadCapture]).is_empty());
        assert_eq!(find("open_ticket").map(|t| t.capability), Some(Capability::Ticketing));
        assert!(find("close_ticket").is_none());
    }

    #[test]
    fn the_schema_is_what_an_llm_expects() {
        let schema = (OPEN_TICKET.input_schema)();
        assert_eq!(schema["type"], "object");
        assert_eq!(schema["required"], json!(["subject", "body"]));
        assert_eq!(schema["properties"]["subject"]["maxLength"], 120);
        assert_eq!(schema["properties"]["body"]["maxLength"], 20_000);
        assert_eq!(schema["properties"]["priority"]["enum"], json!(["low", "normal", "high", "urgent"]));
        assert_eq!(schema["properties"]["priority"]["default"], "normal");
    }

    #[test]
    fn input_errors_name_the_field() {
        let fields =
            |v: Value| -> Vec<String> { parse_open_ticket(&v).unwrap_err().0.0.into_keys().collect() };
        assert_eq!(fields(json!({"body": "b"})), ["input.subject"]);
        assert_eq!(fields(json!({"subject": "x".repeat(121), "body": "b"})), ["input.subject"]);
        assert_eq!(fields(json!({"subject": "s", "body": " "})), ["input.body"]);
        assert_eq!(fields(json!({"subject": "s", "body": "b", "priority": "extreme"})), ["input.priority"]);
        assert_eq!(
            fields(json!({"subject": 1, "body": "b", "priority": 2})),
            ["input.priority", "input.subject"]
        );
        assert_eq!(fields(json!("text")), ["input"]);
        let ok = parse_open_ticket(&json!({"subject": " s ", "body": "b", "priority": "high"})).unwrap();
        assert_eq!((ok.subject.as_str(), ok.priority), ("s", Priority::High));
        assert_eq!(
            parse_open_ticket(&json!({"subject": "s", "body": "b"})).unwrap().priority,
            Priority::Normal
        );
    }

    #[test]
    fn only_declared_input_fields_are_kept() {
        let input = json!({"subject": "s", "body": "b", "priority": "low", "extra": "x".repeat(10_000), "nested": {"a": 1}});
        assert_eq!(
            OPEN_TICKET.declared_input(&input),
            json!({"subject": "s", "body": "b", "priority": "low"})
        );
        assert_eq!(OPEN_TICKET.declared_input(&json!("text")), json!({}));
    }

    #[test]
    fn tool_call_ids() {
        assert_eq!(parse_tool_call_id(" toolu_1 ").unwrap(), "toolu_1");
        assert!(parse_tool_call_id("").is_err());
        assert!(parse_tool_call_id(&"é".repeat(TOOL_CALL_ID_MAX)).is_ok());
        assert!(parse_tool_call_id(&"x".repeat(TOOL_CALL_ID_MAX + 1)).is_err());
    }

    #[test]
    fn the_bot_always_has_a_sentence() {
        assert!(ticket_opened_message("ACME-1234").starts_with("I've opened ticket #ACME-1234 for our team"));
        assert!(!ticket_failed_message().is_empty());
    }
}
