//! Demo data: the "Acme Support" workspace with an admin, an operator, tickets in every
//! status, two agents (a help center bot and a sales bot with the `ticketing` override), a
//! "Talk to a human" button, and chats: two live ones and three that opened a ticket, one
//! per creation path (the bot's `open_ticket` tool, the visitor's button click, the
//! operator's escalation). The chat tickets are made exactly as the HTTP handlers make them
//! (`api::agents::invoke`, `api::cta::click_cta_rule`, `api::conversations::escalate_conversation`):
//! the same `NewTicketInput`, metadata, transcript message and dedupe key. The escalated
//! ticket has a short thread (`Store::add_comment`, as `POST /tickets/{ref}/comments`): a
//! reply to the requester whose mail went out, an internal note, and her answer.

use anyhow::{Context, ensure};
use domain::agent::{Capability, Vertical, VerticalOverrides, parse_agent_name};
use domain::auth::{Role, Scope};
use domain::conversation::{MessageRole, Visitor, parse_message};
use domain::cta::{self, CtaKind};
use domain::thread::{CommentKind, parse_comment_body};
use domain::ticket::{NewTicket, Priority, Source, Status, TicketKey, TicketPatch};
use domain::tool::{self, ticket_opened_message};
use domain::workspace::{Email, NewPassword, TicketPrefix};
use domain::{AgentId, ConversationId, FieldErrors, WorkspaceId};
use serde_json::json;
use store::cta::NewCtaRule;
use store::thread::{CommentAuthor, NewComment};
use store::tickets::{Dedupe, NewTicketInput};
use store::{Actor, Store};

pub const DEMO_ADMIN_EMAIL: &str = "admin@acme.test";
pub const DEMO_ADMIN_PASSWORD: &str = "acme-admin-pass";
pub const DEMO_OPERATOR_EMAIL: &str = "operator@acme.test";
pub const DEMO_OPERATOR_PASSWORD: &str = "acme-operator-pass";
/// The API token the demo's chat backend used (its secret is not kept: create your own).
pub const DEMO_CHAT_TOKEN_NAME: &str = "Demo chat backend";
const CHAT_SCOPES: [Scope; 3] = [Scope::ConversationsWrite, Scope::ToolsInvoke, Scope::TicketsRead];

/// What `seed_demo` created, for the summary it prints.
pub struct Demo {
    pub tickets: usize,
    /// (name, vertical, id)
    pub agents: Vec<(String, Vertical, AgentId)>,
    /// (label, id)
    pub cta_rule: (String, uuid::Uuid),
    /// Live conversations that no ticket links (purged 24 h after their last message).
    pub live: Vec<(ConversationId, String)>,
    /// Tickets opened from a chat: (reference, source, conversation).
    pub from_chats: Vec<(String, Source, ConversationId)>,
}

impl Demo {
    pub fn credentials(&self) -> String {
        let mut out = format!(
            "  demo workspace: Acme Support (prefix ACME), {} tickets\n  sign in as admin:    {DEMO_ADMIN_EMAIL} / {DEMO_ADMIN_PASSWORD}\n  sign in as operator: {DEMO_OPERATOR_EMAIL} / {DEMO_OPERATOR_PASSWORD}",
            self.tickets
        );
        for (name, vertical, id) in &self.agents {
            out.push_str(&format!("\n  agent {name} ({vertical}): {}", id.0));
        }
        let (label, id) = &self.cta_rule;
        out.push_str(&format!("\n  CTA rule \"{label}\" (open_ticket, Helpdesk Bot): {id}"));
        for (id, who) in &self.live {
            out.push_str(&format!("\n  live conversation with {who}: {}", id.0));
        }
        for (reference, source, conversation) in &self.from_chats {
            out.push_str(&format!("\n  ticket {reference} ({source}) from conversation {}", conversation.0));
        }
        out.push_str(&format!(
            "\n  chat backend token: ticketd token create --workspace ACME --name chat --scopes {}",
            CHAT_SCOPES.map(Scope::as_str).join(",")
        ));
        out
    }
}

/// Tickets that have been waiting (minutes), so the queue shows the SLA at work: the high
/// refund's first response (4 h) breached an hour ago, the urgent crash's (1 h) due soon.
const WAITING: &[(&str, i64)] =
    &[("Refund for order #5521 not received", 300), ("Checkout crashes on Safari 17", 35)];

/// (subject, body, priority, final status, assigned to the operator)
const TICKETS: &[(&str, &str, Priority, Status, bool)] = &[
    (
        "Refund for order #5521 not received",
        "Visitor paid twice for order #5521 on May 2 and asked for a refund of the duplicate charge. Bank statement attached in chat.",
        Priority::High,
        Status::Open,
        false,
    ),
    (
        "Cannot reset password: link expired",
        "Account jane@example.com. The reset link says it expired immediately after requesting it. Tried three times, in two browsers.",
        Priority::Normal,
        Status::Open,
        false,
    ),
    (
        "Checkout crashes on Safari 17",
        "Clicking Pay on the checkout page shows a blank screen on Safari 17 (macOS). Works in Chrome. Cart id C-99812.",
        Priority::Urgent,
        Status::Pending,
        true,
    ),
    (
        "Invoice shows wrong VAT number",
        "Company ACME GmbH, invoice INV-2026-0412 lists VAT DE123 instead of DE456. Needs a corrected invoice for accounting.",
        Priority::Normal,
        Status::Pending,
        true,
    ),
    (
        "Feature request: export tickets as CSV",
        "Visitor would like to export their support history as CSV for an audit.",
        Priority::Low,
        Status::Resolved,
        true,
    ),
    (
        "Double charge on subscription renewal",
        "Annual plan renewed twice on June 1 (order #6120 and #6121). Refunded the second charge.",
        Priority::High,
        Status::Resolved,
        false,
    ),
    (
        "Spam: win a free cruise",
        "Automated message with a suspicious link, no real request.",
        Priority::Low,
        Status::Closed,
        false,
    ),
    (
        "Shipping address change for order #7001",
        "Visitor moved and asked to ship order #7001 to the new address; updated before dispatch.",
        Priority::Normal,
        Status::Closed,
        true,
    ),
];

use MessageRole::{Assistant, Visitor as V};

/// The bot opens a ticket with its tool (chat 1).
const TOOL_CHAT: &[(MessageRole, &str)] = &[
    (V, "Hi, I was charged twice for my order #8812 yesterday."),
    (
        Assistant,
        "I'm sorry about that! Could you tell me the amounts and the last four digits of the card you paid with?",
    ),
    (V, "Two charges of €49.90 on May 14, card ending 4242. My account is jane.doe@example.com."),
    (
        Assistant,
        "Thank you. I can't issue refunds from the chat, so I'm passing this to our billing team with these details.",
    ),
];
const TOOL_CALL_ID: &str = "toolu_demo_8812";
const TOOL_SUBJECT: &str = "Duplicate charge for order #8812";
const TOOL_BODY: &str = "Account jane.doe@example.com. Order #8812 was charged twice on May 14: two charges of \
€49.90 on the card ending 4242. The visitor asks for a refund of the duplicate charge; refunds cannot be made \
from the chat.";

/// The visitor clicks "Talk to a human" (chat 2).
const CTA_CHAT: &[(MessageRole, &str)] = &[
    (V, "My password reset emails never arrive."),
    (
        Assistant,
        "Sorry about that! Please check your spam folder, and make sure you use the e-mail address of your account.",
    ),
    (
        V,
        "Checked spam, nothing there. I used marco.rossi@example.com, same as always. I'm locked out and need my account today.",
    ),
    (
        Assistant,
        "I can't reset passwords from the chat. If you'd like someone from our team to help, click \"Talk to a human\" below.",
    ),
];
const CTA_LABEL: &str = "Talk to a human";
const CTA_TEMPLATE: &str = "{visitor_name} asked for a human: {first_message}";

/// An operator converts a sales chat into a ticket (chat 3).
const ESCALATION_CHAT: &[(MessageRole, &str)] = &[
    (
        V,
        "We'd like to move our 120-seat support team over from Zendesk next month. Can you migrate our data and sign a custom DPA?",
    ),
    (
        Assistant,
        "We can! Migrations from Zendesk are included from 100 seats. A custom data processing agreement needs a review by our team: could you share your company and how to reach you?",
    ),
    (
        V,
        "Globex GmbH, lena.fischer@globex.example, +49 30 1234567. Our legal team needs the DPA signed before we start.",
    ),
    (Assistant, "Thank you, Lena. I've noted everything for our team."),
    (V, "Great. I have to run to a meeting now, bye!"),
];
const ESCALATION_SUBJECT: &str = "Globex GmbH: Zendesk migration (120 seats) and custom DPA";
const ESCALATION_BODY: &str = "Lena Fischer (lena.fischer@globex.example, +49 30 1234567) wants to move Globex's \
120-seat support team from Zendesk next month. They need the data migration and a custom DPA signed by their \
legal team before they start. She left the chat: follow up by e-mail.";

/// The escalated ticket's thread (its requester is the chat's visitor, Lena Fischer).
const THREAD_REPLY: &str = "Hi Lena,

thank you for your time in the chat. We can migrate your Zendesk data (tickets, users and \
macros) in the week of the 14th. Our legal team is reviewing the custom DPA: could you send \
us your legal team's redline?

Best regards,
Olivia from Acme Support";
const THREAD_NOTE: &str = "Legal (Marta) has our DPA template ready and only needs Globex's redline. \
The migration slot on the 14th is pencilled in: confirm it once the DPA is signed.";
const THREAD_ANSWER: &str = "Hi Olivia,

thanks! Our legal team sent the redline this morning. The week of the 14th works for us.

Lena";
/// The domain of the demo reply's Message-ID.
const DEMO_MAIL_DOMAIN: &str = "acme.test";

/// Live chats that opened nothing.
const LIVE_HELP_CHAT: &[(MessageRole, &str)] = &[
    (V, "Hi, where can I download my invoices for last quarter?"),
    (
        Assistant,
        "You'll find every invoice under Settings → Billing → Invoices, each with a PDF download button on the right.",
    ),
    (V, "Found them, thanks. Can they also be e-mailed to our accountant automatically?"),
    (
        Assistant,
        "Yes: in Settings → Billing, add your accountant's address under \"Invoice recipients\" and every new invoice is sent there too.",
    ),
];
const LIVE_SALES_CHAT: &[(MessageRole, &str)] = &[
    (V, "Hello! We're a team of 40 agents. Do you offer volume pricing on the Business plan?"),
    (
        Assistant,
        "We do: from 25 seats the Business plan is €29 per seat and month instead of €35, billed yearly. Shall I book a call with our sales team?",
    ),
    (V, "Maybe. Does the Business plan include single sign-on?"),
    (
        Assistant,
        "Yes, SAML single sign-on (Okta, Microsoft Entra ID, Google) is included in Business. Which day would suit you for a 20-minute demo?",
    ),
];

pub async fn seed_demo(store: &Store) -> anyhow::Result<Demo> {
    let prefix = TicketPrefix::parse("ACME").map_err(anyhow::Error::msg)?;
    let admin_email = Email::parse(DEMO_ADMIN_EMAIL).map_err(anyhow::Error::msg)?;
    let admin_password = NewPassword::parse(DEMO_ADMIN_PASSWORD).map_err(anyhow::Error::msg)?;
    let (ws, admin) = store
        .create_workspace("Acme Support", &prefix, &admin_email, "Alex Admin", &admin_password)
        .await
        .context("cannot create the demo workspace (does ACME exist already?)")?;
    let operator_email = Email::parse(DEMO_OPERATOR_EMAIL).map_err(anyhow::Error::msg)?;
    let operator_password = NewPassword::parse(DEMO_OPERATOR_PASSWORD).map_err(anyhow::Error::msg)?;
    let operator = store
        .create_member("ACME", &operator_email, "Olivia Operator", &operator_password, Role::Operator)
        .await?;

    for (subject, body, priority, status, assigned) in TICKETS {
        let input = NewTicketInput::new(
            NewTicket::parse(subject, body, Some(*priority))?,
            Source::Api,
            Actor::User(admin.user.id),
        );
        let (ticket, _) = store.create_ticket(ws.id, input, Dedupe::None).await?;
        if let Some(minutes) = WAITING.iter().find(|(s, _)| s == subject).map(|(_, m)| *m) {
            store.demo_backdate(ticket.id.0, chrono::Duration::minutes(minutes)).await?;
        }
        let key = TicketKey::Id(ticket.id);
        if *assigned {
            let patch = TicketPatch { assignee: Some(Some(operator.user.id)), ..Default::default() };
            store.update_ticket(ws.id, &key, &patch, Actor::User(admin.user.id)).await?;
        }
        if *status != Status::Open && *status != Status::Pending {
            let patch = TicketPatch { status: Some(*status), ..Default::default() };
            store.update_ticket(ws.id, &key, &patch, Actor::User(operator.user.id)).await?;
        }
    }

    // Agents: help_center ships `ticketing`; the sales bot opts in with the override.
    let help = store
        .create_agent(
            ws.id,
            &parse_agent_name("Helpdesk Bot").map_err(anyhow::Error::msg)?,
            Vertical::HelpCenter,
            &VerticalOverrides::default(),
        )
        .await?;
    let sales_overrides = VerticalOverrides { capabilities: vec![Capability::Ticketing] };
    let sales = store
        .create_agent(
            ws.id,
            &parse_agent_name("Sales Bot").map_err(anyhow::Error::msg)?,
            Vertical::Sales,
            &sales_overrides,
        )
        .await?;

    // The help center bot's "Talk to a human" button.
    let rule = store
        .create_cta_rule(
            ws.id,
            NewCtaRule {
                kind: CtaKind::OpenTicket,
                label: cta::parse_label(CTA_LABEL).map_err(anyhow::Error::msg)?,
                agent_id: Some(help.id),
                subject_template: cta::parse_subject_template(CTA_TEMPLATE).map_err(anyhow::Error::msg)?,
                priority: Priority::High,
                enabled: true,
            },
        )
        .await?;

    // The chat backend's token: the tool call and the click are made in its name, as over HTTP.
    let (chat_token, _secret) =
        store.create_token(ws.id, DEMO_CHAT_TOKEN_NAME, &CHAT_SCOPES, Some(admin.user.id)).await?;
    let chat_backend = Actor::Token(chat_token.id);
    let mut from_chats = Vec::new();

    // 1. The bot opens a ticket with `open_ticket`, then says the confirmation.
    let conversation =
        start_chat(store, ws.id, help.id, "Jane Doe", "jane.doe@example.com", TOOL_CHAT).await?;
    let input = json!({"subject": TOOL_SUBJECT, "body": TOOL_BODY, "priority": "high"});
    let ticket =
        invoke_open_ticket(store, ws.id, chat_backend, &help, conversation, TOOL_CALL_ID, input).await?;
    store.add_message(ws.id, conversation, Assistant, ticket_opened_message(&ticket.reference)).await?;
    from_chats.push((ticket.reference, Source::OpenTicketTool, conversation));

    // 2. The visitor clicks "Talk to a human".
    let conversation =
        start_chat(store, ws.id, help.id, "Marco Rossi", "marco.rossi@example.com", CTA_CHAT).await?;
    let ticket = click(store, ws.id, chat_backend, &rule, conversation).await?;
    from_chats.push((ticket.reference, Source::Cta, conversation));

    // 3. The operator converts a sales chat from the Inbox.
    let conversation =
        start_chat(store, ws.id, sales.id, "Lena Fischer", "lena.fischer@globex.example", ESCALATION_CHAT)
            .await?;
    let ticket = escalate(store, ws.id, &operator.user, conversation).await?;
    add_thread(store, ws.id, &ticket, &operator.user).await?;
    from_chats.push((ticket.reference, Source::HumanEscalation, conversation));

    // Live chats, started last so that they top the Inbox.
    let mut live = Vec::new();
    for (agent, name, email, turns) in [
        (help.id, "Tom Becker", "tom.becker@example.com", LIVE_HELP_CHAT),
        (sales.id, "Priya Nair", "priya.nair@northwind.example", LIVE_SALES_CHAT),
    ] {
        live.push((start_chat(store, ws.id, agent, name, email, turns).await?, name.to_owned()));
    }

    Ok(Demo {
        tickets: TICKETS.len() + from_chats.len(),
        agents: vec![(help.name, help.vertical, help.id), (sales.name, sales.vertical, sales.id)],
        cta_rule: (rule.label, rule.id),
        live,
        from_chats,
    })
}

/// The escalated ticket's thread: the operator's reply (its mail recorded as sent, so a
/// server with a mail transport does not write to the made-up customer), a note for the
/// team, and the customer's answer.
async fn add_thread(
    store: &Store,
    ws: WorkspaceId,
    ticket: &store::Ticket,
    operator: &store::User,
) -> anyhow::Result<()> {
    let key = TicketKey::Id(ticket.id);
    let by = Actor::User(operator.id);
    let body = |text: &str| parse_comment_body(text).map_err(anyhow::Error::msg);
    let reply =
        NewComment::reply(body(THREAD_REPLY)?, CommentAuthor::User(operator.id), by, DEMO_MAIL_DOMAIN);
    let sent = store.add_comment(ws, &key, reply).await?;
    store.demo_mark_reply_sent(sent.comment.id).await?;
    let note = NewComment::new(CommentKind::Note, body(THREAD_NOTE)?, CommentAuthor::User(operator.id), by);
    store.add_comment(ws, &key, note).await?;
    let answer = NewComment::new(CommentKind::Customer, body(THREAD_ANSWER)?, CommentAuthor::Requester, by);
    store.add_comment(ws, &key, answer).await?;
    Ok(())
}

/// `POST /conversations` with a visitor and the first messages.
async fn start_chat(
    store: &Store,
    ws: WorkspaceId,
    agent: AgentId,
    name: &str,
    email: &str,
    turns: &[(MessageRole, &str)],
) -> anyhow::Result<ConversationId> {
    let mut errors = FieldErrors::new();
    let visitor = Visitor::parse(Some(name), Some(email), &mut errors);
    let messages = turns
        .iter()
        .enumerate()
        .filter_map(|(i, (role, text))| {
            errors.check(&format!("messages[{i}].content"), parse_message(text)).map(|t| (*role, t))
        })
        .collect();
    errors.into_result(|| ())?;
    Ok(store.create_conversation(ws, agent, visitor, messages).await?.summary.id)
}

/// `POST /agents/{id}/tools/open_ticket/invocations`, as `api::agents::invoke` does it.
async fn invoke_open_ticket(
    store: &Store,
    ws: WorkspaceId,
    actor: Actor,
    agent: &store::Agent,
    conversation: ConversationId,
    tool_call_id: &str,
    input: serde_json::Value,
) -> anyhow::Result<store::Ticket> {
    let definition = tool::find("open_ticket").context("the open_ticket tool is not registered")?;
    ensure!(agent.capabilities().contains(&definition.capability), "{} cannot open tickets", agent.name);
    let new_ticket = tool::parse_open_ticket(&input)?;
    let (input, dedupe) =
        store::paths::tool_call(definition, new_ticket, agent.id, conversation, tool_call_id, &input, actor);
    let (ticket, _) = store.create_ticket(ws, input, dedupe).await?;
    Ok(ticket)
}

/// `POST /cta-rules/{id}/clicks`, as `api::cta::click_cta_rule` does it.
async fn click(
    store: &Store,
    ws: WorkspaceId,
    actor: Actor,
    rule: &store::CtaRule,
    conversation: ConversationId,
) -> anyhow::Result<store::Ticket> {
    let conversation = store.conversation(ws, conversation).await?;
    let (input, dedupe) = store::paths::cta_click(rule, &conversation, actor)?;
    let (ticket, _) = store.create_ticket(ws, input, dedupe).await?;
    Ok(ticket)
}

/// `POST /conversations/{id}/escalate` by `operator`, as
/// `api::conversations::escalate_conversation` does it.
async fn escalate(
    store: &Store,
    ws: WorkspaceId,
    operator: &store::User,
    conversation: ConversationId,
) -> anyhow::Result<store::Ticket> {
    let conversation = store.conversation(ws, conversation).await?;
    let new = NewTicket::parse(ESCALATION_SUBJECT, ESCALATION_BODY, Some(Priority::High))?;
    let (input, dedupe) = store::paths::escalation(new, &conversation, operator);
    let (ticket, _) = store.create_ticket(ws, input, dedupe).await?;
    Ok(ticket)
}
