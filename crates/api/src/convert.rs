//! Store records → API bodies. Each conversion destructures its source, so a new field is
//! a compile error here rather than a silent omission.

use api_types as dto;

pub fn workspace(w: store::Workspace) -> dto::Workspace {
    let store::Workspace { id, name, ticket_prefix } = w;
    dto::Workspace { id: id.0, name, ticket_prefix }
}

pub fn user(u: store::User) -> dto::UserSummary {
    let store::User { id, name, email } = u;
    dto::UserSummary { id: id.0, name, email }
}

pub fn member(m: store::Member) -> dto::Member {
    let store::Member { user, role } = m;
    dto::Member { id: user.id.0, name: user.name, email: user.email, role }
}

pub fn api_token(t: store::ApiToken) -> dto::ApiToken {
    let store::ApiToken { id, workspace_id: _, name, scopes, created_at, last_used_at, revoked_at } = t;
    dto::ApiToken { id: id.0, name, scopes, created_at, last_used_at, revoked_at }
}

pub fn ticket(t: store::Ticket) -> dto::Ticket {
    let store::Ticket {
        id,
        workspace_id,
        number,
        reference,
        agent_id,
        conversation_id,
        subject,
        body,
        status,
        priority,
        assigned_to_user_id,
        notes,
        metadata,
        resolved_at,
        created_at,
        updated_at,
        first_response_due_at,
        resolution_due_at,
        sla,
        requester,
        first_responded_at,
    } = t;
    dto::Ticket {
        id: id.0,
        number,
        reference,
        workspace_id: workspace_id.0,
        agent_id: agent_id.map(|a| a.0),
        conversation_id: conversation_id.map(|c| c.0),
        subject,
        body,
        status,
        priority,
        assigned_to_user_id: assigned_to_user_id.map(|u| u.0),
        notes,
        metadata,
        resolved_at,
        created_at,
        updated_at,
        first_response_due_at,
        resolution_due_at,
        sla,
        requester: requester.map(self::requester),
        first_responded_at,
    }
}

pub fn requester(r: domain::thread::Requester) -> dto::Requester {
    let domain::thread::Requester { name, email } = r;
    dto::Requester { name, email }
}

pub fn comment(c: store::thread::Comment) -> dto::Comment {
    let store::thread::Comment { id, ticket_id, kind, author, body, message_id: _, created_at, delivery } = c;
    let store::thread::Author { kind: author_kind, id: author_id, name, email } = author;
    dto::Comment {
        id,
        ticket_id: ticket_id.0,
        kind,
        author: dto::CommentAuthor { kind: author_kind, id: author_id, name, email },
        body,
        created_at,
        delivery: delivery.map(|d| {
            let store::thread::CommentDelivery { status, attempts, last_error, sent_at } = d;
            dto::CommentDelivery { status, attempts, last_error, sent_at }
        }),
    }
}

pub fn conversation(c: store::Conversation) -> dto::ConversationThread {
    let store::Conversation { id, agent_id, started_at, last_activity_at, messages } = c;
    dto::ConversationThread {
        id: id.0,
        agent_id: agent_id.0,
        started_at,
        last_activity_at,
        messages: messages
            .into_iter()
            .map(|m| {
                let store::Message { id, role, content, created_at } = m;
                dto::Message { id, role, content, created_at }
            })
            .collect(),
    }
}

pub fn ticket_detail(d: store::TicketDetail) -> dto::TicketDetail {
    let store::TicketDetail { ticket: t, conversation: c, assignee, comments_count } = d;
    dto::TicketDetail {
        ticket: ticket(t),
        conversation: c.map(conversation),
        assignee: assignee.map(user),
        comments_count,
    }
}

pub fn ticket_event(e: store::TicketEvent) -> dto::TicketEvent {
    let store::TicketEvent { id, ticket_id, kind, from, to, actor, at } = e;
    let (kind_name, actor_id) = match actor.actor {
        store::Actor::User(u) => ("user", Some(u.0)),
        store::Actor::Token(t) => ("token", Some(t.0)),
        store::Actor::System => ("system", None),
    };
    dto::TicketEvent {
        id,
        ticket_id: ticket_id.0,
        kind,
        from,
        to,
        actor: dto::Actor { kind: kind_name.into(), id: actor_id, name: actor.name },
        at,
    }
}

pub fn agent(a: store::Agent) -> dto::Agent {
    let capabilities = a.capabilities();
    let store::Agent { id, workspace_id: _, name, vertical, overrides, created_at, updated_at } = a;
    dto::Agent {
        id: id.0,
        name,
        vertical,
        vertical_overrides: overrides,
        capabilities,
        created_at,
        updated_at,
    }
}

pub fn tool(t: &domain::tool::ToolDefinition) -> dto::Tool {
    dto::Tool {
        name: t.name.to_owned(),
        description: t.description.to_owned(),
        input_schema: (t.input_schema)(),
    }
}

pub fn conversation_summary(c: store::ConversationSummary) -> dto::ConversationSummary {
    let store::ConversationSummary {
        id,
        agent_id,
        agent_name,
        visitor_name,
        visitor_email,
        started_at,
        last_activity_at,
        has_ticket,
    } = c;
    dto::ConversationSummary {
        id: id.0,
        agent_id: agent_id.0,
        agent_name,
        visitor: dto::Visitor { name: visitor_name, email: visitor_email },
        started_at,
        last_activity_at,
        expires_at: domain::conversation::expires_at(last_activity_at),
        has_ticket,
    }
}

pub fn message(m: store::Message) -> dto::Message {
    let store::Message { id, role, content, created_at } = m;
    dto::Message { id, role, content, created_at }
}

pub fn conversation_detail(c: store::ConversationDetail) -> dto::Conversation {
    let store::ConversationDetail { summary, messages, tickets } = c;
    dto::Conversation {
        summary: conversation_summary(summary),
        tickets: tickets.into_iter().map(|(id, reference)| dto::TicketRef { id: id.0, reference }).collect(),
        messages: messages.into_iter().map(message).collect(),
        next_cursor: None,
    }
}

pub fn cta_rule(r: store::CtaRule) -> dto::CtaRule {
    let store::CtaRule {
        id,
        workspace_id: _,
        kind,
        label,
        agent_id,
        subject_template,
        priority,
        enabled,
        created_at,
        updated_at,
    } = r;
    dto::CtaRule {
        id,
        kind,
        label,
        agent_id: agent_id.map(|a| a.0),
        subject_template,
        priority,
        enabled,
        created_at,
        updated_at,
    }
}
