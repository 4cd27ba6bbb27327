//! Authorisation (the role/scope matrix of every endpoint) and workspace isolation: a
//! foreign id answers 404 exactly like a missing one, and lists never show foreign rows.

// Test bodies run in `db_test!`'s `run`, not in a `#[test]` fn, so `allow-unwrap-in-tests` misses them.
#![allow(clippy::unwrap_used)]

use domain::auth::{Role, Scope};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::auth::assert_unauthorized;
use crate::db_test;
use crate::helpers::*;

/// Who may call an endpoint (SPEC section 3).
#[derive(Debug, Clone, Copy)]
enum Rule {
    /// Anyone, signed in or not.
    Public,
    /// Any authenticated caller.
    Any,
    /// Operators and admins; tokens with `tickets:read`.
    Read,
    /// Operators and admins; tokens with `tickets:write`.
    Write,
    /// Admins; tokens with `admin`.
    Admin,
}

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
        Some(match rule {
            Rule::Public | Rule::Any => true,
            Rule::Read => self.role.is_some() || self.has(Scope::TicketsRead),
            Rule::Write => self.role.is_some() || self.has(Scope::TicketsWrite),
            Rule::Admin => self.role == Some(Role::Admin) || self.has(Scope::Admin),
        })
    }

    /// What the 403's detail must name.
    fn refusal(&self, rule: Rule) -> &'static str {
        match (self.role, rule) {
            (Some(_), _) => "admin role",
            (None, Rule::Read) => "`tickets:read`",
            (None, Rule::Write) => "`tickets:write`",
            (None, _) => "`admin`",
        }
    }
}

struct Endpoint {
    method: Method,
    /// `{victim}` is replaced by a fresh token's id for each call.
    path: String,
    body: Option<Value>,
    rule: Rule,
    /// The status of a caller who is let through.
    ok: u16,
}

fn endpoint(method: Method, path: impl Into<String>, body: Option<Value>, rule: Rule, ok: u16) -> Endpoint {
    Endpoint { method, path: path.into(), body, rule, ok }
}

db_test! {
    async fn every_endpoint_enforces_its_role_or_scope(app: TestApp) {
        let first = app.ticket("The first").await;
        let first_id = first["id"].as_str().unwrap().to_owned();
        let mut callers = vec![
            Caller { name: "anonymous".into(), token: None, role: None, scopes: vec![] },
            Caller { name: "operator JWT".into(), token: Some(app.operator.clone()), role: Some(Role::Operator), scopes: vec![] },
            Caller { name: "admin JWT".into(), token: Some(app.admin.clone()), role: Some(Role::Admin), scopes: vec![] },
        ];
        for scope in Scope::ALL {
            callers.push(Caller { name: format!("token {scope}"), token: Some(app.token(&[scope]).await), role: None, scopes: vec![scope] });
        }
        let all_but_admin = [Scope::TicketsRead, Scope::TicketsWrite, Scope::ConversationsWrite, Scope::ToolsInvoke];
        callers.push(Caller { name: "token with every scope but admin".into(), token: Some(app.token(&all_but_admin).await), role: None, scopes: all_but_admin.to_vec() });

        let endpoints = [
            endpoint(Method::POST, "/api/v1/auth/login", Some(json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})), Rule::Public, 200),
            endpoint(Method::GET, "/api/v1/me", None, Rule::Any, 200),
            endpoint(Method::GET, "/api/v1/tickets", None, Rule::Read, 200),
            endpoint(Method::GET, "/api/v1/tickets?status=closed&q=first", None, Rule::Read, 200),
            endpoint(Method::POST, "/api/v1/tickets", Some(json!({"subject": "Matrix", "body": "Made by the matrix"})), Rule::Write, 201),
            endpoint(Method::GET, "/api/v1/tickets/ACME-1", None, Rule::Read, 200),
            endpoint(Method::GET, format!("/api/v1/tickets/{first_id}"), None, Rule::Read, 200),
            endpoint(Method::PATCH, "/api/v1/tickets/ACME-1", Some(json!({"priority": "high"})), Rule::Write, 200),
            endpoint(Method::PATCH, format!("/api/v1/tickets/{first_id}"), Some(json!({"notes": "seen"})), Rule::Write, 200),
            endpoint(Method::GET, "/api/v1/tickets/ACME-1/events", None, Rule::Read, 200),
            // The permission check comes before the lookup: a forbidden caller cannot probe for ids.
            endpoint(Method::GET, "/api/v1/tickets/ACME-999", None, Rule::Read, 404),
            endpoint(Method::PATCH, format!("/api/v1/tickets/{}", Uuid::new_v4()), Some(json!({"priority": "low"})), Rule::Write, 404),
            endpoint(Method::GET, "/api/v1/tickets/ACME-999/events", None, Rule::Read, 404),
            endpoint(Method::GET, "/api/v1/users", None, Rule::Read, 200),
            endpoint(Method::GET, "/api/v1/api-tokens", None, Rule::Admin, 200),
            endpoint(Method::POST, "/api/v1/api-tokens", Some(json!({"name": "made", "scopes": ["tickets:read"]})), Rule::Admin, 201),
            endpoint(Method::DELETE, "/api/v1/api-tokens/{victim}", None, Rule::Admin, 204),
            endpoint(Method::DELETE, format!("/api/v1/api-tokens/{}", Uuid::new_v4()), None, Rule::Admin, 404),
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
                match allowed {
                    None => assert_unauthorized(&r),
                    Some(false) => {
                        r.assert_problem(403);
                        let detail = r.body["detail"].as_str().unwrap();
                        assert!(detail.contains(caller.refusal(e.rule)), "{what}: {detail}");
                    }
                    Some(true) => {
                        assert_eq!(r.status.as_u16(), e.ok, "{what}: {}", r.text);
                        if e.ok >= 400 {
                            r.assert_problem(e.ok);
                        }
                    }
                }
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
