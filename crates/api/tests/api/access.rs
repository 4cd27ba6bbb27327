//! Authorisation (the role/scope matrix of every endpoint) and workspace isolation: a
//! foreign id answers 404 exactly like a missing one, and lists never show foreign rows.

// Test bodies run in `db_test!`'s `run`, not in a `#[test]` fn, so `allow-unwrap-in-tests` misses them.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use domain::AgentId;
use domain::agent::{Vertical, VerticalOverrides};
use domain::auth::{Role, Scope};
use domain::cta::CtaKind;
use domain::ticket::Priority;
use reqwest::Method;
use serde_json::{Value, json};
use store::cta::NewCtaRule;
use uuid::Uuid;

use crate::auth::assert_unauthorized;
use crate::db_test;
use crate::helpers::*;

/// Who may call an endpoint: which signed-in members and which API tokens it admits (a
/// token holding `admin` passes every scope check).
#[derive(Debug, Clone, Copy)]
enum Rule {
    /// Anyone, signed in or not.
    Public,
    /// Any authenticated caller.
    Any,
    /// Operators and admins; tokens with this scope.
    OperatorOr(Scope),
    /// Admins; tokens with this scope.
    AdminOr(Scope),
    /// Tokens with this scope; no signed-in user, whatever the role.
    TokenOnly(Scope),
    /// Signed-in operators and admins; no token, whatever the scopes.
    UserOnly,
}

/// Operators and admins; tokens with `tickets:read`.
const READ: Rule = Rule::OperatorOr(Scope::TicketsRead);
/// Operators and admins; tokens with `tickets:write`.
const WRITE: Rule = Rule::OperatorOr(Scope::TicketsWrite);
/// Admins; tokens with `admin`.
const ADMIN: Rule = Rule::AdminOr(Scope::Admin);

struct Caller {
    name: String,
    token: Option<String>,
    role: Option<Role>,
    scopes: Vec<Scope>,
}

impl Caller {
    fn has(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope) || self.scopes.contains(&Scope::Admin)
    }

    /// `None`: 401; `Some(false)`: 403; `Some(true)`: let through.
    fn may(&self, rule: Rule) -> Option<bool> {
        if matches!(rule, Rule::Public) {
            return Some(true);
        }
        self.token.as_ref()?;
        let user = self.role.is_some();
        Some(match rule {
            Rule::Public | Rule::Any => true,
            Rule::OperatorOr(scope) => user || self.has(scope),
            Rule::AdminOr(scope) => self.role == Some(Role::Admin) || (!user && self.has(scope)),
            Rule::TokenOnly(scope) => !user && self.has(scope),
            Rule::UserOnly => user,
        })
    }

    /// What the 403's detail must name.
    fn refusal(&self, rule: Rule) -> String {
        match (self.role, rule) {
            (Some(_), Rule::TokenOnly(_)) => "for API tokens only".into(),
            (Some(_), _) => "admin role".into(),
            (None, Rule::OperatorOr(scope) | Rule::AdminOr(scope) | Rule::TokenOnly(scope)) => {
                format!("`{scope}` scope")
            }
            (None, _) => "for signed-in users only".into(),
        }
    }
}

/// Every kind of caller: anonymous, an operator and an admin (JWT), one ACME token per
/// scope and one with every scope but `admin`.
async fn every_caller(app: &TestApp) -> Vec<Caller> {
    let mut callers = vec![
        Caller { name: "anonymous".into(), token: None, role: None, scopes: vec![] },
        Caller {
            name: "operator JWT".into(),
            token: Some(app.operator.clone()),
            role: Some(Role::Operator),
            scopes: vec![],
        },
        Caller {
            name: "admin JWT".into(),
            token: Some(app.admin.clone()),
            role: Some(Role::Admin),
            scopes: vec![],
        },
    ];
    for scope in Scope::ALL {
        callers.push(Caller {
            name: format!("token {scope}"),
            token: Some(app.token(&[scope]).await),
            role: None,
            scopes: vec![scope],
        });
    }
    let all_but_admin = [
        Scope::TicketsRead,
        Scope::TicketsWrite,
        Scope::ConversationsWrite,
        Scope::ToolsInvoke,
        Scope::InboundWrite,
    ];
    assert!(Scope::ALL.iter().all(|s| *s == Scope::Admin || all_but_admin.contains(s)));
    callers.push(Caller {
        name: "token with every scope but admin".into(),
        token: Some(app.token(&all_but_admin).await),
        role: None,
        scopes: all_but_admin.to_vec(),
    });
    callers
}

/// Asserts that `r` is what `caller` must get from an endpoint with this rule: 401, a 403
/// naming what is missing, or the endpoint's own status.
fn assert_access(r: &Response, caller: &Caller, rule: Rule, ok: u16, what: &str) {
    match caller.may(rule) {
        None => assert_unauthorized(r),
        Some(false) => {
            assert_eq!(r.status.as_u16(), 403, "{what}: {}", r.text);
            r.assert_problem(403);
            assert!(r.body["errors"].is_null(), "{what}: {}", r.text);
            let detail = r.body["detail"].as_str().unwrap();
            assert!(detail.contains(&caller.refusal(rule)), "{what}: {detail}");
        }
        Some(true) => {
            assert_eq!(r.status.as_u16(), ok, "{what}: {}", r.text);
            if ok >= 400 {
                r.assert_problem(ok);
            }
        }
    }
}

struct Endpoint {
    method: Method,
    /// Placeholders (`{victim}`, `{victim_agent}`, `{victim_rule}`, `{unique}`) are
    /// replaced for each call, in the path and in the body.
    path: String,
    body: Option<Value>,
    rule: Rule,
    /// The status of a caller who is let through.
    ok: u16,
    /// What a call that is let through adds or removes.
    effect: Option<(Kind, i64)>,
}

fn endpoint(method: Method, path: impl Into<String>, body: Option<Value>, rule: Rule, ok: u16) -> Endpoint {
    Endpoint { method, path: path.into(), body, rule, ok, effect: None }
}

impl Endpoint {
    /// A call that is let through adds one `kind`.
    fn makes(self, kind: Kind) -> Self {
        Endpoint { effect: Some((kind, 1)), ..self }
    }

    /// A call that is let through removes one `kind`.
    fn removes(self, kind: Kind) -> Self {
        Endpoint { effect: Some((kind, -1)), ..self }
    }
}

/// The rows the matrix counts, to prove that refused calls changed nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Agent,
    Conversation,
    VisitorMessage,
    Rule,
    Ticket,
}

db_test! {
    async fn every_endpoint_enforces_its_role_or_scope(app: TestApp) {
        let first = app.ticket("The first").await;
        let first_id = first["id"].as_str().unwrap().to_owned();
        let callers = every_caller(&app).await;

        let endpoints = [
            endpoint(Method::POST, "/api/v1/auth/login", Some(json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})), Rule::Public, 200),
            endpoint(Method::GET, "/api/v1/me", None, Rule::Any, 200),
            endpoint(Method::GET, "/api/v1/tickets", None, READ, 200),
            endpoint(Method::GET, "/api/v1/tickets?status=closed&q=first", None, READ, 200),
            endpoint(Method::POST, "/api/v1/tickets", Some(json!({"subject": "Matrix", "body": "Made by the matrix"})), WRITE, 201),
            endpoint(Method::GET, "/api/v1/tickets/ACME-1", None, READ, 200),
            endpoint(Method::GET, format!("/api/v1/tickets/{first_id}"), None, READ, 200),
            endpoint(Method::PATCH, "/api/v1/tickets/ACME-1", Some(json!({"priority": "high"})), WRITE, 200),
            endpoint(Method::PATCH, format!("/api/v1/tickets/{first_id}"), Some(json!({"notes": "seen"})), WRITE, 200),
            endpoint(Method::GET, "/api/v1/tickets/ACME-1/events", None, READ, 200),
            // The permission check comes before the lookup: a forbidden caller cannot probe for ids.
            endpoint(Method::GET, "/api/v1/tickets/ACME-999", None, READ, 404),
            endpoint(Method::PATCH, format!("/api/v1/tickets/{}", Uuid::new_v4()), Some(json!({"priority": "low"})), WRITE, 404),
            endpoint(Method::GET, "/api/v1/tickets/ACME-999/events", None, READ, 404),
            endpoint(Method::GET, "/api/v1/users", None, READ, 200),
            endpoint(Method::GET, "/api/v1/api-tokens", None, ADMIN, 200),
            endpoint(Method::POST, "/api/v1/api-tokens", Some(json!({"name": "made", "scopes": ["tickets:read"]})), ADMIN, 201),
            endpoint(Method::DELETE, "/api/v1/api-tokens/{victim}", None, ADMIN, 204),
            endpoint(Method::DELETE, format!("/api/v1/api-tokens/{}", Uuid::new_v4()), None, ADMIN, 404),
        ];

        let mut tickets_made = 1;
        let mut tokens_made = callers.iter().filter(|c| c.token.is_some() && c.role.is_none()).count();
        for e in &endpoints {
            for caller in &callers {
                let victim = if e.path.contains("{victim}") {
                    Some(app.store.create_token(app.acme.id, "victim", &[Scope::TicketsRead], None).await.unwrap())
                } else {
                    None
                };
                if victim.is_some() {
                    tokens_made += 1;
                }
                let path = match &victim {
                    Some((token, _)) => e.path.replace("{victim}", &token.id.0.to_string()),
                    None => e.path.clone(),
                };
                let r = app.request(e.method.clone(), &path, caller.token.as_deref(), e.body.as_ref()).await;
                let what = format!("{} {path} as {}", e.method, caller.name);
                let allowed = caller.may(e.rule);
                assert_access(&r, caller, e.rule, e.ok, &what);
                if allowed == Some(true) && e.ok == 201 {
                    if e.path.ends_with("/tickets") {
                        tickets_made += 1;
                    } else {
                        tokens_made += 1;
                    }
                }
                // A refused revocation left the token working; an accepted one killed it.
                if let Some((_, secret)) = victim {
                    let status = app.get("/api/v1/me", &secret).await.status.as_u16();
                    assert_eq!(status, if allowed == Some(true) { 401 } else { 200 }, "{what}: the victim token");
                }
            }
        }
        // Refused writes changed nothing.
        let list = app.get("/api/v1/tickets?status=open,pending,resolved,closed&per_page=100", &app.admin).await;
        assert_eq!(list.body["meta"]["total"], tickets_made, "{}", list.text);
        let tokens = app.get("/api/v1/api-tokens", &app.admin).await;
        assert_eq!(tokens.body["data"].as_array().unwrap().len(), tokens_made);
        assert_eq!(tickets_made, 6, "operator, admin, tickets:write, admin and every-but-admin tokens created one each");
    }
}

/// A CTA button of `ws` (enabled, normal priority), for `agent` or for every agent.
async fn cta_rule_of(app: &TestApp, ws: domain::WorkspaceId, label: &str, agent: Option<Uuid>) -> Uuid {
    let rule = NewCtaRule {
        kind: CtaKind::OpenTicket,
        label: label.to_owned(),
        agent_id: agent.map(AgentId),
        subject_template: None,
        priority: Priority::Normal,
        enabled: true,
    };
    app.store.create_cta_rule(ws, rule).await.unwrap().id
}

/// A `help_center` agent (it has `ticketing`, so the `open_ticket` tool) of `ws`.
async fn agent_of(app: &TestApp, ws: domain::WorkspaceId, name: &str) -> Uuid {
    app.store.create_agent(ws, name, Vertical::HelpCenter, &VerticalOverrides::default()).await.unwrap().id.0
}

/// A conversation of `agent` with one visitor message, recorded through the API.
async fn conversation_of(app: &TestApp, token: &str, agent: Uuid) -> Uuid {
    let body = json!({"agent_id": agent, "visitor": {"name": "Vera Visitor"}, "messages": [{"role": "visitor", "content": "My order never came"}]});
    let r = app.post("/api/v1/conversations", token, body).await;
    assert_eq!(r.status, 201, "create conversation: {}", r.text);
    r.body["id"].as_str().unwrap().parse().unwrap()
}

fn ids_of(list: &Response) -> Vec<String> {
    let mut ids: Vec<String> = list.body["data"]
        .as_array()
        .unwrap_or_else(|| panic!("a list: {}", list.text))
        .iter()
        .map(|row| row["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

db_test! {
    async fn every_chat_endpoint_enforces_its_role_or_scope(app: TestApp) {
        let callers = every_caller(&app).await;
        let writer = app.token(&[Scope::ConversationsWrite]).await;
        let bot = agent_of(&app, app.acme.id, "Helpdesk bot").await;
        let patched = agent_of(&app, app.acme.id, "Patched bot").await;
        let conversation = conversation_of(&app, &writer, bot).await;
        let rule = cta_rule_of(&app, app.acme.id, "Talk to a human", Some(bot)).await;
        let missing = Uuid::new_v4();
        let mut made: HashMap<Kind, i64> = HashMap::from([(Kind::Agent, 2), (Kind::Conversation, 1), (Kind::VisitorMessage, 1), (Kind::Rule, 1), (Kind::Ticket, 0)]);

        let conversations_write = Rule::TokenOnly(Scope::ConversationsWrite);
        let conversations_read = Rule::OperatorOr(Scope::ConversationsWrite);
        let agents_read = Rule::OperatorOr(Scope::Admin);
        let invoke = Rule::TokenOnly(Scope::ToolsInvoke);
        let invocation = json!({"conversation_id": conversation, "tool_call_id": "call-{unique}", "input": {"subject": "Order never came", "body": "Order #5521, paid on the 3rd, never shipped."}});
        let message = json!({"role": "visitor", "content": "Still there?"});
        let escalation = json!({"subject": "Handoff", "body": "Escalated by the matrix"});
        let click = json!({"conversation_id": conversation});
        let endpoints = [
            // Conversations.
            endpoint(Method::POST, "/api/v1/conversations", Some(json!({"agent_id": bot, "messages": [{"role": "visitor", "content": "Hi"}]})), conversations_write, 201).makes(Kind::Conversation),
            endpoint(Method::GET, "/api/v1/conversations", None, conversations_read, 200),
            endpoint(Method::GET, "/api/v1/conversations?page=2&per_page=5", None, conversations_read, 200),
            endpoint(Method::GET, format!("/api/v1/conversations/{conversation}"), None, conversations_read, 200),
            endpoint(Method::POST, format!("/api/v1/conversations/{conversation}/messages"), Some(message.clone()), conversations_write, 201).makes(Kind::VisitorMessage),
            endpoint(Method::POST, format!("/api/v1/conversations/{conversation}/escalate"), Some(escalation.clone()), Rule::UserOnly, 201).makes(Kind::Ticket),
            // Agents.
            endpoint(Method::GET, "/api/v1/agents", None, agents_read, 200),
            endpoint(Method::GET, format!("/api/v1/agents/{bot}"), None, agents_read, 200),
            endpoint(Method::POST, "/api/v1/agents", Some(json!({"name": "Matrix bot", "vertical": "sales"})), ADMIN, 201).makes(Kind::Agent),
            endpoint(Method::PATCH, format!("/api/v1/agents/{patched}"), Some(json!({"name": "Renamed bot", "vertical_overrides": {"capabilities": ["lead_capture"]}})), ADMIN, 200),
            endpoint(Method::DELETE, "/api/v1/agents/{victim_agent}", None, ADMIN, 204).removes(Kind::Agent),
            endpoint(Method::GET, format!("/api/v1/agents/{bot}/tools"), None, Rule::AdminOr(Scope::ToolsInvoke), 200),
            endpoint(Method::GET, format!("/api/v1/agents/{bot}/cta-rules"), None, Rule::AdminOr(Scope::ConversationsWrite), 200),
            endpoint(Method::POST, format!("/api/v1/agents/{bot}/tools/open_ticket/invocations"), Some(invocation.clone()), invoke, 201).makes(Kind::Ticket),
            // CTA rules.
            endpoint(Method::GET, "/api/v1/cta-rules", None, ADMIN, 200),
            endpoint(Method::POST, "/api/v1/cta-rules", Some(json!({"kind": "open_ticket", "label": "Call me back", "agent_id": bot, "priority": "high"})), ADMIN, 201).makes(Kind::Rule),
            endpoint(Method::GET, format!("/api/v1/cta-rules/{rule}"), None, ADMIN, 200),
            endpoint(Method::PATCH, format!("/api/v1/cta-rules/{rule}"), Some(json!({"label": "Talk to a person", "priority": "urgent"})), ADMIN, 200),
            endpoint(Method::DELETE, "/api/v1/cta-rules/{victim_rule}", None, ADMIN, 204).removes(Kind::Rule),
            // A fresh button per call, so that each permitted click opens a ticket (201).
            endpoint(Method::POST, "/api/v1/cta-rules/{victim_rule}/clicks", Some(click.clone()), conversations_write, 201).makes(Kind::Ticket),
            // The permission check comes before the lookup: a forbidden caller cannot probe for ids.
            endpoint(Method::GET, format!("/api/v1/conversations/{missing}"), None, conversations_read, 404),
            endpoint(Method::POST, format!("/api/v1/conversations/{missing}/messages"), Some(message.clone()), conversations_write, 404),
            endpoint(Method::POST, format!("/api/v1/conversations/{missing}/escalate"), Some(escalation.clone()), Rule::UserOnly, 404),
            endpoint(Method::GET, format!("/api/v1/agents/{missing}"), None, agents_read, 404),
            endpoint(Method::PATCH, format!("/api/v1/agents/{missing}"), Some(json!({"name": "Nobody"})), ADMIN, 404),
            endpoint(Method::DELETE, format!("/api/v1/agents/{missing}"), None, ADMIN, 404),
            endpoint(Method::GET, format!("/api/v1/agents/{missing}/tools"), None, Rule::AdminOr(Scope::ToolsInvoke), 404),
            endpoint(Method::GET, format!("/api/v1/agents/{missing}/cta-rules"), None, Rule::AdminOr(Scope::ConversationsWrite), 404),
            endpoint(Method::POST, format!("/api/v1/agents/{missing}/tools/open_ticket/invocations"), Some(invocation.clone()), invoke, 404),
            endpoint(Method::POST, format!("/api/v1/agents/{bot}/tools/no_such_tool/invocations"), Some(invocation.clone()), invoke, 404),
            endpoint(Method::GET, format!("/api/v1/cta-rules/{missing}"), None, ADMIN, 404),
            endpoint(Method::PATCH, format!("/api/v1/cta-rules/{missing}"), Some(json!({"label": "Nobody"})), ADMIN, 404),
            endpoint(Method::DELETE, format!("/api/v1/cta-rules/{missing}"), None, ADMIN, 404),
            endpoint(Method::POST, format!("/api/v1/cta-rules/{missing}/clicks"), Some(click.clone()), conversations_write, 404),
        ];

        let mut calls = 0;
        for e in &endpoints {
            let mut let_through = 0;
            for caller in &callers {
                calls += 1;
                let victim_agent = if e.path.contains("{victim_agent}") {
                    *made.get_mut(&Kind::Agent).unwrap() += 1;
                    Some(app.store.create_agent(app.acme.id, "Victim bot", Vertical::General, &VerticalOverrides::default()).await.unwrap().id.0)
                } else {
                    None
                };
                let victim_rule = if e.path.contains("{victim_rule}") {
                    *made.get_mut(&Kind::Rule).unwrap() += 1;
                    Some(cta_rule_of(&app, app.acme.id, "Victim button", None).await)
                } else {
                    None
                };
                let fill = |text: &str| {
                    let mut text = text.replace("{unique}", &calls.to_string());
                    if let Some(id) = victim_agent {
                        text = text.replace("{victim_agent}", &id.to_string());
                    }
                    if let Some(id) = victim_rule {
                        text = text.replace("{victim_rule}", &id.to_string());
                    }
                    text
                };
                let path = fill(&e.path);
                let body: Option<Value> = e.body.as_ref().map(|b| serde_json::from_str(&fill(&b.to_string())).unwrap());
                let r = app.request(e.method.clone(), &path, caller.token.as_deref(), body.as_ref()).await;
                let what = format!("{} {path} as {}", e.method, caller.name);
                let allowed = caller.may(e.rule) == Some(true);
                assert_access(&r, caller, e.rule, e.ok, &what);
                if allowed {
                    let_through += 1;
                    if let Some((kind, n)) = e.effect {
                        *made.get_mut(&kind).unwrap() += n;
                    }
                }
                // A refused deletion left the row; an accepted one removed it.
                let gone = if allowed { 404 } else { 200 };
                if let Some(id) = victim_agent {
                    let status = app.get(&format!("/api/v1/agents/{id}"), &app.admin).await.status.as_u16();
                    assert_eq!(status, gone, "{what}: the victim agent");
                }
                if let Some(id) = victim_rule.filter(|_| e.method == Method::DELETE) {
                    let status = app.get(&format!("/api/v1/cta-rules/{id}"), &app.admin).await.status.as_u16();
                    assert_eq!(status, gone, "{what}: the victim button");
                }
            }
            assert!(let_through > 0 && let_through < callers.len(), "{} {}: some are let through, some not", e.method, e.path);
        }

        // Refused calls changed nothing; each permitted one did its work once.
        let count = |kind: Kind| usize::try_from(made[&kind]).unwrap();
        let agents = app.get("/api/v1/agents", &app.admin).await;
        assert_eq!(ids_of(&agents).len(), count(Kind::Agent), "{}", agents.text);
        let renamed = app.get(&format!("/api/v1/agents/{patched}"), &app.admin).await;
        assert_eq!(renamed.body["name"], "Renamed bot", "{}", renamed.text);
        let rules = app.get("/api/v1/cta-rules", &app.admin).await;
        assert_eq!(ids_of(&rules).len(), count(Kind::Rule), "{}", rules.text);
        let list = app.get("/api/v1/conversations?per_page=100", &app.admin).await;
        assert_eq!(list.body["meta"]["total"], count(Kind::Conversation), "{}", list.text);
        assert_eq!(ids_of(&list).len(), count(Kind::Conversation), "{}", list.text);
        let thread = app.get(&format!("/api/v1/conversations/{conversation}"), &app.admin).await;
        let visitor_messages = thread.body["messages"].as_array().unwrap().iter().filter(|m| m["role"] == "visitor").count();
        assert_eq!(visitor_messages, count(Kind::VisitorMessage), "{}", thread.text);
        let tickets = app.get("/api/v1/tickets?status=open,pending,resolved,closed&per_page=100", &app.admin).await;
        assert_eq!(tickets.body["meta"]["total"], count(Kind::Ticket), "{}", tickets.text);
        assert_eq!(thread.body["tickets"].as_array().unwrap().len(), count(Kind::Ticket), "{}", thread.text);
        assert_eq!(
            (count(Kind::Conversation), count(Kind::VisitorMessage), count(Kind::Ticket)),
            (4, 4, 8),
            "conversations:write, every-but-admin and admin tokens wrote 3 conversations, 3 messages and clicked 3 buttons; operator and admin escalated twice; tools:invoke, every-but-admin and admin tokens invoked 3 tools"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Workspace isolation.
// ---------------------------------------------------------------------------------------

/// Two tickets in each workspace, so that ACME-n and OTHER-n both exist.
async fn tickets_in_both(app: &TestApp) -> (Vec<Value>, Vec<Value>) {
    let acme = vec![app.ticket("Acme printer").await, app.ticket("Acme invoice").await];
    let mut other = vec![];
    for subject in ["Other secret plan", "Other secret budget"] {
        other.push(
            app.create_ticket(&app.other_admin, json!({"subject": subject, "body": "Only for OTHER"})).await,
        );
    }
    assert_eq!(other[0]["reference"], "OTHER-1");
    (acme, other)
}

db_test! {
    async fn another_workspace_s_ticket_answers_404_like_a_missing_one(app: TestApp) {
        let (_, other) = tickets_in_both(&app).await;
        let other_id = other[0]["id"].as_str().unwrap();
        let missing_id = app.get(&format!("/api/v1/tickets/{}", Uuid::new_v4()), &app.admin).await;
        missing_id.assert_problem(404);
        let missing_ref = app.get("/api/v1/tickets/ACME-999", &app.admin).await;
        missing_ref.assert_problem(404);
        assert_eq!(missing_id.body, missing_ref.body);
        let missing = missing_id.body;

        let admin_token = app.token(&[Scope::Admin]).await;
        for caller in [app.admin.as_str(), app.operator.as_str(), admin_token.as_str()] {
            for key in [other_id, "OTHER-1", "other-2"] {
                for path in [format!("/api/v1/tickets/{key}"), format!("/api/v1/tickets/{key}/events")] {
                    let r = app.get(&path, caller).await;
                    r.assert_problem(404);
                    assert_eq!(r.body, missing, "{path}");
                    assert!(!r.text.contains("Other secret"), "{path}");
                }
                let r = app.patch(&format!("/api/v1/tickets/{key}"), caller, json!({"status": "closed", "priority": "urgent", "notes": "mine now", "assigned_to_user_id": app.admin_id})).await;
                r.assert_problem(404);
                assert_eq!(r.body, missing, "PATCH {key}");
            }
        }

        // OTHER's tickets are untouched: no change, no event.
        for t in &other {
            let r = app.get(&format!("/api/v1/tickets/{}", t["reference"].as_str().unwrap()), &app.other_admin).await;
            assert_eq!(r.status, 200, "{}", r.text);
            assert_eq!((&r.body["status"], &r.body["priority"]), (&json!("open"), &json!("normal")));
            assert!(r.body["notes"].is_null() && r.body["assigned_to_user_id"].is_null());
            assert_eq!(r.body["updated_at"], t["updated_at"]);
            let events = app.get(&format!("/api/v1/tickets/{}/events", t["id"].as_str().unwrap()), &app.other_admin).await;
            assert_eq!(events.body["data"].as_array().unwrap().len(), 1, "{}", events.text);
        }
        // And ACME's own tickets with the same numbers still answer.
        assert_eq!(app.get("/api/v1/tickets/ACME-1", &app.admin).await.body["subject"], "Acme printer");
    }
}

db_test! {
    async fn a_ticket_cannot_be_assigned_to_another_workspace_s_member(app: TestApp) {
        app.ticket("Acme printer").await;
        let r = app.patch("/api/v1/tickets/ACME-1", &app.admin, json!({"assigned_to_user_id": app.other_admin_id})).await;
        assert_eq!(r.assert_problem(422), ["assigned_to_user_id"]);
        let r = app.post("/api/v1/tickets", &app.admin, json!({"subject": "s", "body": "b", "assigned_to_user_id": app.other_admin_id})).await;
        assert!(matches!(r.status.as_u16(), 422), "{}", r.text);
        let t = app.get("/api/v1/tickets/ACME-1", &app.admin).await;
        assert!(t.body["assigned_to_user_id"].is_null() && t.body["assignee"].is_null());
    }
}

db_test! {
    async fn another_workspace_s_api_token_cannot_be_revoked(app: TestApp) {
        let (other_token, other_secret) = app.store.create_token(app.other.id, "other's", &[Scope::Admin], None).await.unwrap();
        let missing = app.delete(&format!("/api/v1/api-tokens/{}", Uuid::new_v4()), &app.admin).await;
        missing.assert_problem(404);
        let acme_admin_token = app.token(&[Scope::Admin]).await;
        for caller in [app.admin.as_str(), acme_admin_token.as_str()] {
            let r = app.delete(&format!("/api/v1/api-tokens/{}", other_token.id.0), caller).await;
            r.assert_problem(404);
            assert_eq!(r.body, missing.body);
        }
        // Still alive, and OTHER's list does not show it revoked.
        let me = app.get("/api/v1/me", &other_secret).await;
        assert_eq!(me.status, 200);
        assert_eq!(me.body["workspace"]["ticket_prefix"], "OTHER");
        let list = app.get("/api/v1/api-tokens", &app.other_admin).await;
        let listed = list.body["data"].as_array().unwrap().iter().find(|t| t["id"] == other_token.id.0.to_string()).unwrap().clone();
        assert!(listed["revoked_at"].is_null());
        // Its own workspace may revoke it.
        assert_eq!(app.delete(&format!("/api/v1/api-tokens/{}", other_token.id.0), &app.other_admin).await.status, 204);
        assert_unauthorized(&app.get("/api/v1/me", &other_secret).await);
    }
}

/// A request carrying another workspace's id: method, path, body, who may call it, the
/// status a missing id gets, and the field a 422 names.
type ForeignIdCase = (Method, String, Option<Value>, Rule, u16, Option<&'static str>);

db_test! {
    async fn another_workspace_s_agents_conversations_and_buttons_answer_404_like_missing_ones(app: TestApp) {
        // OTHER's bot, a conversation with it, a button for it and a button for every agent.
        let other_writer = app.other_token(&[Scope::ConversationsWrite]).await;
        let other_agent = agent_of(&app, app.other.id, "Other secret bot").await;
        let other_conversation = conversation_of(&app, &other_writer, other_agent).await;
        let other_rule = cta_rule_of(&app, app.other.id, "Other secret button", Some(other_agent)).await;
        let other_global_rule = cta_rule_of(&app, app.other.id, "Other secret global button", None).await;
        // ACME's own, with which OTHER's ids are combined.
        let writer = app.token(&[Scope::ConversationsWrite]).await;
        let acme_agent = agent_of(&app, app.acme.id, "Acme bot").await;
        let acme_conversation = conversation_of(&app, &writer, acme_agent).await;
        let acme_rule = cta_rule_of(&app, app.acme.id, "Acme button", None).await;

        let snapshot = async || {
            let mut state = vec![];
            for path in [
                format!("/api/v1/agents/{other_agent}"),
                format!("/api/v1/agents/{other_agent}/tools"),
                format!("/api/v1/agents/{other_agent}/cta-rules"),
                format!("/api/v1/conversations/{other_conversation}"),
                format!("/api/v1/cta-rules/{other_rule}"),
                format!("/api/v1/cta-rules/{other_global_rule}"),
                "/api/v1/agents".to_owned(),
                "/api/v1/conversations".to_owned(),
                "/api/v1/cta-rules".to_owned(),
                "/api/v1/tickets?status=open,pending,resolved,closed".to_owned(),
            ] {
                let r = app.get(&path, &app.other_admin).await;
                assert_eq!(r.status, 200, "{path}: {}", r.text);
                state.push((path, r.body));
            }
            state
        };
        let before = snapshot().await;

        let callers: Vec<Caller> = every_caller(&app).await.into_iter().filter(|c| c.token.is_some()).collect();
        let conversations_write = Rule::TokenOnly(Scope::ConversationsWrite);
        let invocation = json!({"conversation_id": acme_conversation, "tool_call_id": "call-1", "input": {"subject": "Hijack", "body": "Open it over there"}});
        // `{agent}`, `{conversation}`, `{rule}`: OTHER's, then a missing one.
        let cases: Vec<ForeignIdCase> = vec![
            (Method::GET, "/api/v1/agents/{agent}".into(), None, Rule::OperatorOr(Scope::Admin), 404, None),
            (Method::PATCH, "/api/v1/agents/{agent}".into(), Some(json!({"name": "Hijacked", "vertical": "sales"})), ADMIN, 404, None),
            (Method::DELETE, "/api/v1/agents/{agent}".into(), None, ADMIN, 404, None),
            (Method::GET, "/api/v1/agents/{agent}/tools".into(), None, Rule::AdminOr(Scope::ToolsInvoke), 404, None),
            (Method::GET, "/api/v1/agents/{agent}/cta-rules".into(), None, Rule::AdminOr(Scope::ConversationsWrite), 404, None),
            (Method::POST, "/api/v1/agents/{agent}/tools/open_ticket/invocations".into(), Some(invocation.clone()), Rule::TokenOnly(Scope::ToolsInvoke), 404, None),
            (Method::GET, "/api/v1/conversations/{conversation}".into(), None, Rule::OperatorOr(Scope::ConversationsWrite), 404, None),
            (Method::POST, "/api/v1/conversations/{conversation}/messages".into(), Some(json!({"role": "operator", "content": "Hijacked"})), conversations_write, 404, None),
            (Method::POST, "/api/v1/conversations/{conversation}/escalate".into(), Some(json!({"subject": "Hijack", "body": "Open it over there"})), Rule::UserOnly, 404, None),
            (Method::GET, "/api/v1/cta-rules/{rule}".into(), None, ADMIN, 404, None),
            (Method::PATCH, "/api/v1/cta-rules/{rule}".into(), Some(json!({"label": "Hijacked", "enabled": false})), ADMIN, 404, None),
            (Method::DELETE, "/api/v1/cta-rules/{rule}".into(), None, ADMIN, 404, None),
            (Method::POST, "/api/v1/cta-rules/{rule}/clicks".into(), Some(json!({"conversation_id": acme_conversation})), conversations_write, 404, None),
            // OTHER's ids inside ACME's requests: the same 422 as an unknown id.
            (Method::POST, "/api/v1/conversations".into(), Some(json!({"agent_id": "{agent}", "messages": [{"role": "visitor", "content": "Hi"}]})), conversations_write, 422, Some("agent_id")),
            (Method::POST, format!("/api/v1/agents/{acme_agent}/tools/open_ticket/invocations"), Some(json!({"conversation_id": "{conversation}", "tool_call_id": "call-2", "input": {"subject": "Hijack", "body": "Open it over there"}})), Rule::TokenOnly(Scope::ToolsInvoke), 422, Some("conversation_id")),
            (Method::POST, format!("/api/v1/cta-rules/{acme_rule}/clicks"), Some(json!({"conversation_id": "{conversation}"})), conversations_write, 422, Some("conversation_id")),
            (Method::POST, "/api/v1/cta-rules".into(), Some(json!({"kind": "open_ticket", "label": "Hijack", "agent_id": "{agent}"})), ADMIN, 422, Some("agent_id")),
            (Method::PATCH, format!("/api/v1/cta-rules/{acme_rule}"), Some(json!({"agent_id": "{agent}"})), ADMIN, 422, Some("agent_id")),
        ];
        for (method, path, body, rule, status, field) in &cases {
            let fill = |text: &str, agent: Uuid, conversation: Uuid, rule: Uuid| {
                text.replace("{agent}", &agent.to_string())
                    .replace("{conversation}", &conversation.to_string())
                    .replace("{rule}", &rule.to_string())
            };
            let mut tried = 0;
            for caller in callers.iter().filter(|c| c.may(*rule) == Some(true)) {
                tried += 1;
                let mut answers = vec![];
                for (agent, conversation, rule) in [(other_agent, other_conversation, other_rule), (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4())] {
                    let path = fill(path, agent, conversation, rule);
                    let body: Option<Value> = body.as_ref().map(|b| serde_json::from_str(&fill(&b.to_string(), agent, conversation, rule)).unwrap());
                    let r = app.request(method.clone(), &path, caller.token.as_deref(), body.as_ref()).await;
                    let what = format!("{method} {path} as {}", caller.name);
                    let fields = r.assert_problem(*status);
                    assert_eq!(fields, field.iter().map(|f| (*f).to_owned()).collect::<Vec<_>>(), "{what}: {}", r.text);
                    assert!(!r.text.contains("Other secret"), "{what}: {}", r.text);
                    answers.push((what, r.body));
                }
                assert_eq!(answers[0].1, answers[1].1, "{} answers like {}", answers[0].0, answers[1].0);
            }
            assert!(tried > 0, "{method} {path}: no ACME caller may call it");
        }
        // OTHER's side of it, the other way round: its admin cannot reach ACME's rows.
        let other_admin_token = app.other_token(&[Scope::Admin]).await;
        for caller in [app.other_admin.as_str(), other_admin_token.as_str()] {
            for path in [format!("/api/v1/agents/{acme_agent}"), format!("/api/v1/agents/{acme_agent}/tools"), format!("/api/v1/conversations/{acme_conversation}"), format!("/api/v1/cta-rules/{acme_rule}")] {
                app.get(&path, caller).await.assert_problem(404);
            }
        }

        // Nothing of OTHER changed, and no ticket was opened anywhere.
        assert_eq!(snapshot().await, before);
        let thread = &before.iter().find(|(p, _)| p.starts_with("/api/v1/conversations/")).unwrap().1;
        assert_eq!(thread["messages"].as_array().unwrap().len(), 1, "{thread}");
        assert_eq!(before.last().unwrap().1["meta"]["total"], 0);
        let tickets = app.get("/api/v1/tickets?status=open,pending,resolved,closed", &app.admin).await;
        assert_eq!(tickets.body["meta"]["total"], 0, "{}", tickets.text);
        let thread = app.get(&format!("/api/v1/conversations/{acme_conversation}"), &app.admin).await;
        assert_eq!(thread.body["messages"].as_array().unwrap().len(), 1, "{}", thread.text);
        let rule = app.get(&format!("/api/v1/cta-rules/{acme_rule}"), &app.admin).await;
        assert!(rule.body["agent_id"].is_null(), "{}", rule.text);
    }
}

db_test! {
    async fn agent_conversation_and_button_lists_never_include_another_workspace_s_rows(app: TestApp) {
        let other_writer = app.other_token(&[Scope::ConversationsWrite]).await;
        let other_agent = agent_of(&app, app.other.id, "Other secret bot").await;
        let other_conversation = conversation_of(&app, &other_writer, other_agent).await;
        let other_rules = [
            cta_rule_of(&app, app.other.id, "Other secret button", Some(other_agent)).await,
            cta_rule_of(&app, app.other.id, "Other secret global button", None).await,
        ];
        let writer = app.token(&[Scope::ConversationsWrite]).await;
        let acme_agents = [agent_of(&app, app.acme.id, "Acme bot").await, agent_of(&app, app.acme.id, "Acme other bot").await];
        let acme_conversation = conversation_of(&app, &writer, acme_agents[0]).await;
        let acme_rules = [
            cta_rule_of(&app, app.acme.id, "Acme button", Some(acme_agents[0])).await,
            cta_rule_of(&app, app.acme.id, "Acme global button", None).await,
        ];
        let sorted = |ids: &[Uuid]| {
            let mut ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
            ids.sort();
            ids
        };

        let callers: Vec<Caller> = every_caller(&app).await.into_iter().filter(|c| c.token.is_some()).collect();
        let lists = [
            ("/api/v1/agents".to_owned(), Rule::OperatorOr(Scope::Admin), sorted(&acme_agents)),
            ("/api/v1/conversations?per_page=100".to_owned(), Rule::OperatorOr(Scope::ConversationsWrite), sorted(&[acme_conversation])),
            ("/api/v1/cta-rules".to_owned(), ADMIN, sorted(&acme_rules)),
            (format!("/api/v1/agents/{}/cta-rules", acme_agents[0]), Rule::AdminOr(Scope::ConversationsWrite), sorted(&acme_rules)),
            (format!("/api/v1/agents/{}/cta-rules", acme_agents[1]), Rule::AdminOr(Scope::ConversationsWrite), sorted(&acme_rules[1..])),
        ];
        for (path, rule, expected) in &lists {
            let mut tried = 0;
            for caller in callers.iter().filter(|c| c.may(*rule) == Some(true)) {
                tried += 1;
                let r = app.get(path, caller.token.as_deref().unwrap()).await;
                assert_eq!(r.status, 200, "{path} as {}: {}", caller.name, r.text);
                assert_eq!(&ids_of(&r), expected, "{path} as {}", caller.name);
                assert!(!r.text.contains("Other secret"), "{path} as {}: {}", caller.name, r.text);
                if path.starts_with("/api/v1/conversations") {
                    assert_eq!(r.body["meta"]["total"], 1, "{path} as {}", caller.name);
                }
            }
            assert!(tried > 0, "{path}");
        }

        // And OTHER sees only its own.
        let other_admin_token = app.other_token(&[Scope::Admin]).await;
        for caller in [app.other_admin.as_str(), other_admin_token.as_str()] {
            assert_eq!(ids_of(&app.get("/api/v1/agents", caller).await), sorted(&[other_agent]));
            assert_eq!(ids_of(&app.get("/api/v1/conversations", caller).await), sorted(&[other_conversation]));
            assert_eq!(ids_of(&app.get("/api/v1/cta-rules", caller).await), sorted(&other_rules));
            assert_eq!(ids_of(&app.get(&format!("/api/v1/agents/{other_agent}/cta-rules"), caller).await), sorted(&other_rules));
        }
    }
}

db_test! {
    async fn lists_never_include_another_workspace_s_rows(app: TestApp) {
        let (acme, _) = tickets_in_both(&app).await;
        app.store.create_token(app.other.id, "other's", &[Scope::Admin], None).await.unwrap();
        let r = app.post("/api/v1/api-tokens", &app.other_admin, json!({"name": "other's too", "scopes": ["tickets:read"]})).await;
        assert_eq!(r.status, 201);
        let (acme_token, _) = app.store.create_token(app.acme.id, "acme's", &[Scope::TicketsRead], None).await.unwrap();
        let acme_read = app.token(&[Scope::TicketsRead]).await;

        for caller in [app.admin.as_str(), app.operator.as_str(), acme_read.as_str()] {
            let list = app.get("/api/v1/tickets?status=open,pending,resolved,closed&per_page=100", caller).await;
            assert_eq!(list.status, 200, "{}", list.text);
            let data = list.body["data"].as_array().unwrap();
            assert_eq!(data.len(), acme.len());
            assert_eq!(list.body["meta"]["total"], acme.len());
            for t in data {
                assert!(t["reference"].as_str().unwrap().starts_with("ACME-"), "{t}");
                assert_eq!(t["workspace_id"], app.acme.id.0.to_string());
            }
            // A search that only OTHER's rows would match, and a walk by cursor.
            let search = app.get("/api/v1/tickets?q=secret", caller).await;
            assert_eq!((search.body["data"].clone(), search.body["meta"]["total"].clone()), (json!([]), json!(0)), "{}", search.text);
            let search = app.get("/api/v1/tickets?q=OTHER-", caller).await;
            assert_eq!(search.body["data"], json!([]), "{}", search.text);
            let walk = app.get("/api/v1/tickets?cursor=&per_page=1", caller).await;
            assert_eq!(walk.status, 200, "{}", walk.text);
            let mut seen = walk.body["data"].as_array().unwrap().clone();
            let mut cursor = walk.body["meta"]["next_cursor"].clone();
            while let Some(c) = cursor.as_str() {
                let page = app.get(&format!("/api/v1/tickets?per_page=1&cursor={c}"), caller).await;
                assert_eq!(page.status, 200, "{}", page.text);
                seen.extend(page.body["data"].as_array().unwrap().iter().cloned());
                cursor = page.body["meta"]["next_cursor"].clone();
            }
            assert_eq!(seen.len(), acme.len());
            assert!(seen.iter().all(|t| t["workspace_id"] == app.acme.id.0.to_string()));

            let users = app.get("/api/v1/users", caller).await;
            let mut ids: Vec<_> = users.body["data"].as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap().to_owned()).collect();
            ids.sort();
            let mut expected = vec![app.admin_id.to_string(), app.operator_id.to_string()];
            expected.sort();
            assert_eq!(ids, expected);
            assert!(!users.text.contains(OTHER_ADMIN_EMAIL));
        }

        let tokens = app.get("/api/v1/api-tokens", &app.admin).await;
        let names: Vec<_> = tokens.body["data"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap().to_owned()).collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(names.iter().all(|n| !n.starts_with("other")), "{names:?}");
        assert!(tokens.body["data"].as_array().unwrap().iter().any(|t| t["id"] == acme_token.id.0.to_string()));
    }
}

db_test! {
    async fn another_workspace_s_token_sees_only_its_own_data(app: TestApp) {
        let (acme, other) = tickets_in_both(&app).await;
        let token = app.other_token(&[Scope::Admin]).await;

        let me = app.get("/api/v1/me", &token).await;
        assert_eq!(me.body["workspace"]["id"], app.other.id.0.to_string());
        let list = app.get("/api/v1/tickets", &token).await;
        let refs: Vec<_> = list.body["data"].as_array().unwrap().iter().map(|t| t["reference"].clone()).collect();
        assert_eq!(refs, [json!("OTHER-2"), json!("OTHER-1")]);
        assert_eq!(list.body["meta"]["total"], 2);
        let users = app.get("/api/v1/users", &token).await;
        assert_eq!(users.body["data"].as_array().unwrap().len(), 1);
        assert_eq!(users.body["data"][0]["id"], app.other_admin_id.to_string());
        let tokens = app.get("/api/v1/api-tokens", &token).await;
        assert!(tokens.body["data"].as_array().unwrap().iter().all(|t| t["name"] == "other token"), "{}", tokens.text);

        // ACME's tickets do not exist for it: by id, by reference, in every verb.
        let acme_id = acme[0]["id"].as_str().unwrap();
        for key in [acme_id, "ACME-1", "ACME-2"] {
            app.get(&format!("/api/v1/tickets/{key}"), &token).await.assert_problem(404);
            app.get(&format!("/api/v1/tickets/{key}/events"), &token).await.assert_problem(404);
            app.patch(&format!("/api/v1/tickets/{key}"), &token, json!({"status": "closed"})).await.assert_problem(404);
        }
        assert_eq!(app.get("/api/v1/tickets/ACME-1", &app.admin).await.body["status"], "open");
        // OTHER-1 is its own.
        let own = app.get("/api/v1/tickets/OTHER-1", &token).await;
        assert_eq!(own.body["id"], other[0]["id"]);
        // What it creates lands in OTHER.
        let made = app.create_ticket(&token, json!({"subject": "From OTHER's token", "body": "b"})).await;
        assert_eq!(made["reference"], "OTHER-3");
        assert_eq!(made["workspace_id"], app.other.id.0.to_string());
        assert_eq!(app.get("/api/v1/tickets", &app.admin).await.body["meta"]["total"], 2);
    }
}

db_test! {
    async fn users_are_listed_by_name_with_their_role(app: TestApp) {
        let pw = domain::workspace::NewPassword::parse("a long enough password").unwrap();
        for (email, name, role) in [("zed@acme.test", "Zed Zimmer", Role::Admin), ("bob@acme.test", "bob builder", Role::Operator)] {
            app.store.create_member("ACME", &domain::workspace::Email::parse(email).unwrap(), name, &pw, role).await.unwrap();
        }
        let expected = json!([
            {"id": app.admin_id, "name": "Alex Admin", "email": ADMIN_EMAIL, "role": "admin"},
            {"name": "bob builder", "email": "bob@acme.test", "role": "operator"},
            {"id": app.operator_id, "name": "Olivia Operator", "email": OPERATOR_EMAIL, "role": "operator"},
            {"name": "Zed Zimmer", "email": "zed@acme.test", "role": "admin"},
        ]);
        let read = app.token(&[Scope::TicketsRead]).await;
        for caller in [app.operator.as_str(), app.admin.as_str(), read.as_str()] {
            let r = app.get("/api/v1/users", caller).await;
            assert_eq!(r.status, 200, "{}", r.text);
            let mut data = r.body["data"].as_array().unwrap().clone();
            for (member, want) in data.iter_mut().zip(expected.as_array().unwrap()) {
                assert!(Uuid::parse_str(member["id"].as_str().unwrap()).is_ok());
                assert_eq!(member.as_object().unwrap().len(), 4, "no other field (no password hash): {member}");
                if want.get("id").is_none() {
                    member.as_object_mut().unwrap().remove("id");
                }
            }
            assert_eq!(Value::Array(data), expected);
            assert_eq!(r.body["meta"]["total"], 4);
        }
    }
}

db_test! {
    async fn unknown_routes_answer_404_problems(app: TestApp) {
        for path in ["/api/v1/nope", "/api/v1", "/api/v1/", "/api/v1/tickets/ACME-1/nope", "/api/v2/tickets", "/nope", "/api/v1/api-tokens/a/b"] {
            for token in [None, Some(app.admin.as_str())] {
                let r = app.request(Method::GET, path, token, None).await;
                r.assert_problem(404);
            }
        }
        let r = app.post("/api/v1/nope", &app.admin, json!({})).await;
        r.assert_problem(404);
    }
}

db_test! {
    async fn probes_answer_ok(app: TestApp) {
        let r = app.request(Method::GET, "/healthz", None, None).await;
        assert_eq!(r.status, 200);
        assert!(r.content_type().starts_with("application/json"), "{}", r.content_type());
        assert_eq!(r.body["status"], "ok");
        let r = app.request(Method::GET, "/readyz", None, None).await;
        assert_eq!(r.status, 200);
        assert!(r.content_type().starts_with("application/json"), "{}", r.content_type());
        assert_eq!(r.body, json!({"status": "ok", "database": "ok"}));
        // A bad credential does not matter to the probes.
        let r = app.get("/healthz", "garbage").await;
        assert_eq!(r.status, 200);
    }
}

db_test! {
    async fn a_forbidden_caller_gets_403_whatever_the_body(app: TestApp) {
        let read = app.token(&[Scope::TicketsRead]).await;
        for caller in [app.operator.as_str(), read.as_str()] {
            for body in [json!({}), json!({"name": "", "scopes": ["nope"]}), json!([1]), json!({"name": "ok", "scopes": ["admin"]})] {
                let r = app.post("/api/v1/api-tokens", caller, body.clone()).await;
                r.assert_problem(403);
                assert!(r.body["errors"].is_null(), "{body}: {}", r.text);
            }
            app.raw(Method::POST, "/api/v1/api-tokens", caller, "{\"name\": ").await.assert_problem(403);
        }
        // A reader's ticket writes are refused before their bodies are judged.
        app.ticket("Read only").await;
        for body in [json!({"priority": "extreme"}), json!({"subject": 5}), json!([1])] {
            let r = app.patch("/api/v1/tickets/ACME-1", &read, body.clone()).await;
            assert!(r.assert_problem(403).is_empty(), "{body}");
            let r = app.post("/api/v1/tickets", &read, body.clone()).await;
            assert!(r.assert_problem(403).is_empty(), "{body}");
        }
        app.raw(Method::PATCH, "/api/v1/tickets/ACME-1", &read, "{\"status\": ").await.assert_problem(403);
        // Anonymous callers are told to authenticate before anything else.
        assert_unauthorized(&app.request(Method::POST, "/api/v1/api-tokens", None, Some(&json!({}))).await);
        // The admin's bad bodies are still judged.
        app.raw(Method::POST, "/api/v1/api-tokens", &app.admin, "{\"name\": ").await.assert_problem(400);
        assert_eq!(app.post("/api/v1/api-tokens", &app.admin, json!({})).await.assert_problem(422), ["name"]);
        assert_eq!(app.get("/api/v1/api-tokens", &app.admin).await.body["data"].as_array().unwrap().len(), 1);
    }
}
