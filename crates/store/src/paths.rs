//! The chat creation paths: what a tool call, a CTA click and an operator's escalation each
//! write with their ticket (metadata, transcript entry, how a retry is recognised). The API
//! handlers and the demo data both build their tickets here, so they cannot drift apart.

use domain::conversation::MessageRole;
use domain::cta::{self, ClickContext};
use domain::ticket::{NewTicket, Source};
use domain::tool::{ToolDefinition, ticket_opened_message};
use domain::{AgentId, ConversationId, ValidationError};

use crate::tickets::{Dedupe, NewTicketInput};
use crate::{Actor, ConversationDetail, CtaRule, User};

/// A ticket opened by the bot's tool call: `metadata = {source: "open_ticket_tool",
/// tool_call_id}`, the call (only the input fields its schema declares) and its result
/// appended as a `tool` message, one ticket per `tool_call_id` in a conversation.
pub fn tool_call(
    tool: &ToolDefinition,
    ticket: NewTicket,
    agent: AgentId,
    conversation: ConversationId,
    tool_call_id: &str,
    input: &serde_json::Value,
    actor: Actor,
) -> (NewTicketInput, Dedupe) {
    let mut metadata = serde_json::Map::new();
    metadata.insert("tool_call_id".into(), tool_call_id.into());
    let transcript = serde_json::json!({
        "tool": tool.name,
        "tool_call_id": tool_call_id,
        "input": tool.declared_input(input),
        "result": {"reference": "{reference}", "message": ticket_opened_message("{reference}")},
    });
    let input = NewTicketInput {
        agent_id: Some(agent),
        conversation_id: Some(conversation),
        metadata,
        transcript: Some((MessageRole::Tool, transcript.to_string())),
        // Used where the conversation's visitor has no address (checked with the input).
        requester: domain::tool::open_ticket_email(input)
            .ok()
            .flatten()
            .map(|email| domain::thread::Requester { name: None, email: Some(email) }),
        ..NewTicketInput::new(ticket, Source::OpenTicketTool, actor)
    };
    (input, Dedupe::ToolCall(tool_call_id.to_owned()))
}

/// A ticket opened by a visitor's click: `metadata = {source: "cta", rule_id}`, the rule's
/// priority, a subject from its template (or the visitor's first message), a body quoting
/// the visitor's recent messages; a click while this rule's ticket is still open replays it.
pub fn cta_click(
    rule: &CtaRule,
    conversation: &ConversationDetail,
    actor: Actor,
) -> Result<(NewTicketInput, Dedupe), ValidationError> {
    let visitor_messages: Vec<&str> = conversation
        .messages
        .iter()
        .filter(|m| m.role == MessageRole::Visitor.as_str())
        .map(|m| m.content.as_str())
        .collect();
    let ctx = ClickContext {
        label: &rule.label,
        agent_name: &conversation.summary.agent_name,
        visitor_name: conversation.summary.visitor_name.as_deref(),
        visitor_email: conversation.summary.visitor_email.as_deref(),
        visitor_messages,
    };
    let subject = cta::click_subject(rule.subject_template.as_deref(), &ctx);
    let ticket = NewTicket::parse(&subject, &cta::click_body(&ctx), Some(rule.priority))?;
    let mut metadata = serde_json::Map::new();
    metadata.insert("rule_id".into(), rule.id.to_string().into());
    let input = NewTicketInput {
        agent_id: Some(conversation.summary.agent_id),
        conversation_id: Some(conversation.summary.id),
        metadata,
        transcript: Some((
            MessageRole::System,
            format!("The visitor clicked \"{}\": ticket #{{reference}} was opened.", rule.label),
        )),
        ..NewTicketInput::new(ticket, Source::Cta, actor)
    };
    Ok((input, Dedupe::OpenCtaTicket(rule.id)))
}

/// A ticket an operator opened from a conversation: `metadata = {source:
/// "human_escalation", operator_id}` and a `system` message naming the operator.
pub fn escalation(
    ticket: NewTicket,
    conversation: &ConversationDetail,
    operator: &User,
) -> (NewTicketInput, Dedupe) {
    let mut metadata = serde_json::Map::new();
    metadata.insert("operator_id".into(), operator.id.to_string().into());
    let input = NewTicketInput {
        agent_id: Some(conversation.summary.agent_id),
        conversation_id: Some(conversation.summary.id),
        metadata,
        transcript: Some((
            MessageRole::System,
            format!("{} opened ticket #{{reference}} from this conversation.", operator.name),
        )),
        ..NewTicketInput::new(ticket, Source::HumanEscalation, Actor::User(operator.id))
    };
    (input, Dedupe::None)
}
