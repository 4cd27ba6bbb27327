//! Hardening: every free-text field has a maximum length, enforced with a 422 naming the
//! field and declared in the OpenAPI document (so that Schemathesis probes the boundary),
//! and the failures `scripts/schemathesis.sh` found, each replayed as a regression test.

use domain::auth::Scope;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::db_test;
use crate::helpers::*;

/// Text of `len` characters that takes two bytes each: a byte-counting limit rejects it.
fn text(len: usize) -> String {
    "é".repeat(len)
}

/// An e-mail address of exactly `len` characters.
fn email(len: usize) -> String {
    format!("{}@example.com", "a".repeat(len - "@example.com".len()))
}

/// An https URL of exactly `len` characters.
fn url(len: usize) -> String {
    let base = "https://hooks.example.com/";
    format!("{base}{}", "x".repeat(len - base.len()))
}

/// One free-text field: where it is sent, its limit, and the status a request whose field
/// is exactly at the limit answers.
struct Case {
    method: Method,
    path: String,
    token: String,
    /// As it appears in the problem's `errors`.
    field: &'static str,
    max: usize,
    value: fn(usize) -> String,
    body: Box<dyn Fn(String) -> Value>,
    ok: u16,
}

impl Case {
    #[allow(clippy::too_many_arguments)]
    fn new(
        method: Method,
        path: impl Into<String>,
        token: &str,
        field: &'static str,
        max: usize,
        value: fn(usize) -> String,
        ok: u16,
        body: impl Fn(String) -> Value + 'static,
    ) -> Self {
        Case {
            method,
            path: path.into(),
            token: token.to_owned(),
            field,
            max,
            value,
            body: Box::new(body),
            ok,
        }
    }
}

db_test! {
    async fn every_text_field_has_a_maximum_length_naming_the_field(app: TestApp) {
        use domain::agent::AGENT_NAME_MAX;
        use domain::auth::TOKEN_NAME_MAX;
        use domain::conversation::{MESSAGE_MAX, VISITOR_NAME_MAX};
        use domain::cta::{LABEL_MAX, TEMPLATE_MAX};
        use domain::notification::{LEAD_NAME_MAX, LEAD_PHONE_MAX, LEAD_SUMMARY_MAX, SECRET_MAX, URL_MAX};
        use domain::ticket::{BODY_MAX, METADATA_KEY_MAX, NOTES_MAX, SUBJECT_MAX};
        use domain::tool::TOOL_CALL_ID_MAX;
        use domain::workspace::{EMAIL_MAX, PASSWORD_MAX, WORKSPACE_KEY_MAX};

        let chat = app.token(&[Scope::ConversationsWrite, Scope::ToolsInvoke]).await;
        let agent = app.post("/api/v1/agents", &app.admin, json!({"name": "Bot", "vertical": "help_center"})).await;
        assert_eq!(agent.status, 201, "{}", agent.text);
        let agent = agent.body["id"].as_str().unwrap().to_owned();
        let conversation = app.post("/api/v1/conversations", &chat, json!({"agent_id": agent})).await;
        assert_eq!(conversation.status, 201, "{}", conversation.text);
        let conversation = conversation.body["id"].as_str().unwrap().to_owned();
        let ticket = app.ticket("Printer on fire").await;
        let reference = ticket["reference"].as_str().unwrap().to_owned();
        let rule = app.post("/api/v1/cta-rules", &app.admin, json!({"kind": "open_ticket", "label": "Help"})).await;
        assert_eq!(rule.status, 201, "{}", rule.text);
        let rule = rule.body["id"].as_str().unwrap().to_owned();
        let channel = app
            .post("/api/v1/notification-channels", &app.admin, json!({"kind": "webhook", "url": "https://hooks.example.com/a"}))
            .await;
        assert_eq!(channel.status, 201, "{}", channel.text);
        let channel = channel.body["id"].as_str().unwrap().to_owned();

        let (admin, operator) = (app.admin.as_str(), app.operator.as_str());
        let ticket_body = |subject: String, body: String| json!({"subject": subject, "body": body});
        let conv = conversation.clone();
        let tool_call = move |subject: String, body: String| {
            json!({"conversation_id": conversation, "tool_call_id": Uuid::new_v4().to_string(), "input": {"subject": subject, "body": body}})
        };
        let invocations = format!("/api/v1/agents/{agent}/tools/open_ticket/invocations");
        let cases = vec![
            // Sign-in: at the limit the credentials are merely wrong.
            Case::new(Method::POST, "/api/v1/auth/login", "", "email", EMAIL_MAX, email, 401, |v| json!({"email": v, "password": "not the password"})),
            Case::new(Method::POST, "/api/v1/auth/login", "", "password", PASSWORD_MAX, text, 401, |v| json!({"email": ADMIN_EMAIL, "password": v})),
            Case::new(Method::POST, "/api/v1/auth/login", "", "workspace", WORKSPACE_KEY_MAX, text, 401, |v| json!({"email": ADMIN_EMAIL, "password": "not the password", "workspace": v})),
            Case::new(Method::POST, "/api/v1/api-tokens", admin, "name", TOKEN_NAME_MAX, text, 201, |v| json!({"name": v, "scopes": ["tickets:read"]})),
            Case::new(Method::POST, "/api/v1/tickets", admin, "subject", SUBJECT_MAX, text, 201, move |v| ticket_body(v, "b".into())),
            Case::new(Method::POST, "/api/v1/tickets", admin, "body", BODY_MAX, text, 201, move |v| ticket_body("s".into(), v)),
            Case::new(Method::POST, "/api/v1/tickets", admin, "metadata", METADATA_KEY_MAX, text, 201, |v| json!({"subject": "s", "body": "b", "metadata": {v: 1}})),
            Case::new(Method::PATCH, format!("/api/v1/tickets/{reference}"), admin, "notes", NOTES_MAX, text, 200, |v| json!({"notes": v})),
            Case::new(Method::POST, "/api/v1/agents", admin, "name", AGENT_NAME_MAX, text, 201, |v| json!({"name": v, "vertical": "sales"})),
            Case::new(Method::PATCH, format!("/api/v1/agents/{agent}"), admin, "name", AGENT_NAME_MAX, text, 200, |v| json!({"name": v})),
            Case::new(Method::POST, "/api/v1/conversations", &chat, "visitor.name", VISITOR_NAME_MAX, text, 201, { let a = agent.clone(); move |v| json!({"agent_id": a, "visitor": {"name": v}}) }),
            Case::new(Method::POST, "/api/v1/conversations", &chat, "visitor.email", EMAIL_MAX, email, 201, { let a = agent.clone(); move |v| json!({"agent_id": a, "visitor": {"email": v}}) }),
            Case::new(Method::POST, "/api/v1/conversations", &chat, "messages[0].content", MESSAGE_MAX, text, 201, { let a = agent.clone(); move |v| json!({"agent_id": a, "messages": [{"role": "visitor", "content": v}]}) }),
            Case::new(Method::POST, format!("/api/v1/conversations/{conv}/messages"), &chat, "content", MESSAGE_MAX, text, 201, |v| json!({"role": "visitor", "content": v})),
            Case::new(Method::POST, format!("/api/v1/conversations/{conv}/escalate"), operator, "subject", SUBJECT_MAX, text, 201, move |v| ticket_body(v, "b".into())),
            Case::new(Method::POST, format!("/api/v1/conversations/{conv}/escalate"), operator, "body", BODY_MAX, text, 201, move |v| ticket_body("s".into(), v)),
            Case::new(Method::POST, invocations.clone(), &chat, "tool_call_id", TOOL_CALL_ID_MAX, text, 201, { let c = conv.clone(); move |v| json!({"conversation_id": c, "tool_call_id": v, "input": {"subject": "s", "body": "b"}}) }),
            Case::new(Method::POST, invocations.clone(), &chat, "input.subject", SUBJECT_MAX, text, 201, { let t = tool_call.clone(); move |v| t(v, "b".into()) }),
            Case::new(Method::POST, invocations, &chat, "input.body", BODY_MAX, text, 201, move |v| tool_call("s".into(), v)),
            Case::new(Method::POST, "/api/v1/cta-rules", admin, "label", LABEL_MAX, text, 201, |v| json!({"kind": "open_ticket", "label": v})),
            Case::new(Method::POST, "/api/v1/cta-rules", admin, "subject_template", TEMPLATE_MAX, text, 201, |v| json!({"kind": "open_ticket", "label": "l", "subject_template": v})),
            Case::new(Method::PATCH, format!("/api/v1/cta-rules/{rule}"), admin, "label", LABEL_MAX, text, 200, |v| json!({"label": v})),
            Case::new(Method::PATCH, format!("/api/v1/cta-rules/{rule}"), admin, "subject_template", TEMPLATE_MAX, text, 200, |v| json!({"subject_template": v})),
            Case::new(Method::POST, "/api/v1/notification-channels", admin, "url", URL_MAX, url, 201, |v| json!({"kind": "webhook", "url": v})),
            Case::new(Method::POST, "/api/v1/notification-channels", admin, "secret", SECRET_MAX, text, 201, |v| json!({"kind": "webhook", "url": "https://hooks.example.com/b", "secret": v})),
            Case::new(Method::PATCH, format!("/api/v1/notification-channels/{channel}"), admin, "url", URL_MAX, url, 200, |v| json!({"url": v})),
            Case::new(Method::POST, "/api/v1/leads/events", &chat, "name", LEAD_NAME_MAX, text, 202, |v| json!({"name": v})),
            Case::new(Method::POST, "/api/v1/leads/events", &chat, "email", EMAIL_MAX, email, 202, |v| json!({"email": v})),
            Case::new(Method::POST, "/api/v1/leads/events", &chat, "phone", LEAD_PHONE_MAX, text, 202, |v| json!({"phone": v})),
            Case::new(Method::POST, "/api/v1/leads/events", &chat, "summary", LEAD_SUMMARY_MAX, text, 202, |v| json!({"summary": v})),
        ];

        for case in &cases {
            let at = format!("{} {} `{}`", case.method, case.path, case.field);
            let token = (!case.token.is_empty()).then_some(case.token.as_str());
            let over = (case.body)((case.value)(case.max + 1));
            let r = app.request(case.method.clone(), &case.path, token, Some(&over)).await;
            assert_eq!(r.status, 422, "{at} over the limit: {}", r.text);
            let fields = r.assert_problem(422);
            assert_eq!(fields, [case.field], "{at}: {}", r.text);
            let message = r.body["errors"][case.field][0].as_str().unwrap_or_default();
            assert!(message.contains(&case.max.to_string()), "{at}: the message names the limit: {message}");

            let at_max = (case.body)((case.value)(case.max));
            let r = app.request(case.method.clone(), &case.path, token, Some(&at_max)).await;
            assert_eq!(r.status, case.ok, "{at} at the limit: {}", &r.text[..r.text.len().min(400)]);
        }
    }
}

db_test! {
    async fn metadata_is_bounded_in_keys_and_size(app: TestApp) {
        let many: serde_json::Map<String, Value> = (0..=domain::ticket::METADATA_KEYS_MAX).map(|i| (format!("k{i}"), json!(i))).collect();
        let r = app.post("/api/v1/tickets", &app.admin, json!({"subject": "s", "body": "b", "metadata": many})).await;
        assert_eq!(r.assert_problem(422), ["metadata"], "{}", r.text);

        let big = "v".repeat(domain::ticket::METADATA_BYTES_MAX);
        let r = app.post("/api/v1/tickets", &app.admin, json!({"subject": "s", "body": "b", "metadata": {"k": big}})).await;
        assert_eq!(r.assert_problem(422), ["metadata"], "{}", r.text);

        // Subject and metadata errors are reported together.
        let r = app.post("/api/v1/tickets", &app.admin, json!({"subject": " ", "body": "b", "metadata": {"": 1}})).await;
        assert_eq!(r.assert_problem(422), ["metadata", "subject"], "{}", r.text);

        let fits: serde_json::Map<String, Value> = (0..domain::ticket::METADATA_KEYS_MAX).map(|i| (format!("k{i}"), json!(i))).collect();
        let r = app.post("/api/v1/tickets", &app.admin, json!({"subject": "s", "body": "b", "metadata": fits})).await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(r.body["metadata"]["k49"], 49);
        assert_eq!(r.body["metadata"]["source"], "api");
    }
}

/// The lengths the OpenAPI document declares are the ones the domain enforces.
#[test]
fn documented_lengths_are_the_enforced_ones() {
    use domain::{agent, auth, conversation, cta, notification, ticket, tool, workspace};
    let doc = serde_json::to_value(api::openapi()).expect("json");
    let schemas = &doc["components"]["schemas"];
    let table: &[(&str, &str, usize)] = &[
        ("LoginRequest", "email", workspace::EMAIL_MAX),
        ("LoginRequest", "password", workspace::PASSWORD_MAX),
        ("LoginRequest", "workspace", workspace::WORKSPACE_KEY_MAX),
        ("CreateApiTokenRequest", "name", auth::TOKEN_NAME_MAX),
        ("CreateTicketRequest", "subject", ticket::SUBJECT_MAX),
        ("CreateTicketRequest", "body", ticket::BODY_MAX),
        ("UpdateTicketRequest", "notes", ticket::NOTES_MAX),
        ("CreateAgentRequest", "name", agent::AGENT_NAME_MAX),
        ("UpdateAgentRequest", "name", agent::AGENT_NAME_MAX),
        ("InvokeToolRequest", "tool_call_id", tool::TOOL_CALL_ID_MAX),
        ("Visitor", "name", conversation::VISITOR_NAME_MAX),
        ("Visitor", "email", workspace::EMAIL_MAX),
        ("NewMessage", "content", conversation::MESSAGE_MAX),
        ("EscalateRequest", "subject", ticket::SUBJECT_MAX),
        ("EscalateRequest", "body", ticket::BODY_MAX),
        ("CreateCtaRuleRequest", "label", cta::LABEL_MAX),
        ("CreateCtaRuleRequest", "subject_template", cta::TEMPLATE_MAX),
        ("UpdateCtaRuleRequest", "label", cta::LABEL_MAX),
        ("UpdateCtaRuleRequest", "subject_template", cta::TEMPLATE_MAX),
        ("CreateNotificationChannelRequest", "url", notification::URL_MAX),
        ("CreateNotificationChannelRequest", "secret", notification::SECRET_MAX),
        ("UpdateNotificationChannelRequest", "url", notification::URL_MAX),
        ("LeadEventRequest", "name", notification::LEAD_NAME_MAX),
        ("LeadEventRequest", "email", workspace::EMAIL_MAX),
        ("LeadEventRequest", "phone", notification::LEAD_PHONE_MAX),
        ("LeadEventRequest", "summary", notification::LEAD_SUMMARY_MAX),
    ];
    for (schema, field, max) in table {
        let property = &schemas[schema]["properties"][field];
        assert_eq!(property["maxLength"], json!(max), "{schema}.{field}: {property}");
    }
    // Every string property of every request body has a maximum.
    for (name, schema) in schemas.as_object().expect("schemas") {
        let is_request = name.ends_with("Request") || ["Visitor", "NewMessage"].contains(&name.as_str());
        if !is_request {
            continue;
        }
        for (field, property) in schema["properties"].as_object().into_iter().flatten() {
            let types = &property["type"];
            let is_string =
                types == "string" || types.as_array().is_some_and(|t| t.contains(&json!("string")));
            let is_free_text =
                is_string && property.get("enum").is_none() && property.get("format").is_none();
            if is_free_text {
                assert!(property["maxLength"].is_u64(), "{name}.{field} has no maxLength: {property}");
            }
        }
    }
    let tool_body = &(tool::OPEN_TICKET.input_schema)()["properties"]["body"];
    assert_eq!(tool_body["maxLength"], json!(ticket::BODY_MAX));
}

// Failures Schemathesis found (scripts/schemathesis.sh), one test each.

/// The schema of `op`'s request body, with `$ref`s to components resolved one level.
fn body_property(doc: &Value, schema: &str, field: &str) -> Value {
    doc["components"]["schemas"][schema]["properties"][field].clone()
}

fn allows_null(property: &Value) -> bool {
    property["type"].as_array().is_some_and(|t| t.contains(&json!("null")))
        || property["oneOf"].as_array().is_some_and(|o| o.iter().any(|s| s["type"] == "null"))
}

db_test! {
    async fn page_sizes_out_of_range_are_documented_and_refused(app: TestApp) {
        // Found: `GET /conversations?per_page=10927939` answered 422 while the document
        // declared no bounds, so the request was "valid".
        let doc = serde_json::to_value(api::openapi()).unwrap();
        for path in ["/api/v1/tickets", "/api/v1/conversations"] {
            let params = doc["paths"][path]["get"]["parameters"].as_array().unwrap();
            let param = |name: &str| params.iter().find(|p| p["name"] == name).unwrap()["schema"].clone();
            assert_eq!((param("per_page")["minimum"].clone(), param("per_page")["maximum"].clone()), (json!(1), json!(100)), "{path}");
            assert_eq!(param("page")["minimum"], json!(1), "{path}");
            for query in ["per_page=101", "per_page=0", "page=0", "per_page=10927939"] {
                let r = app.get(&format!("{path}?{query}"), &app.admin).await;
                let field = query.split('=').next().unwrap();
                assert_eq!(r.assert_problem(422), [field], "{path}?{query}");
            }
        }
    }
}

db_test! {
    async fn patch_fields_that_refuse_null_are_documented_as_not_nullable(app: TestApp) {
        // Found: `{"enabled": null}`, `{"priority": null}`, `{"vertical": null}` answered 422
        // while the document said the fields were nullable.
        let doc = serde_json::to_value(api::openapi()).unwrap();
        let agent = app.post("/api/v1/agents", &app.admin, json!({"name": "Bot", "vertical": "sales"})).await.body["id"].clone();
        let rule = app.post("/api/v1/cta-rules", &app.admin, json!({"kind": "open_ticket", "label": "Help"})).await.body["id"].clone();
        let channel = app
            .post("/api/v1/notification-channels", &app.admin, json!({"kind": "webhook", "url": "https://hooks.example.com/a"}))
            .await
            .body["id"]
            .clone();
        let reference = app.ticket("Printer").await["reference"].as_str().unwrap().to_owned();
        let cases: Vec<(&str, String, &[&str])> = vec![
            ("UpdateTicketRequest", format!("/api/v1/tickets/{reference}"), &["status", "priority"]),
            ("UpdateAgentRequest", format!("/api/v1/agents/{}", agent.as_str().unwrap()), &["name", "vertical", "vertical_overrides"]),
            ("UpdateCtaRuleRequest", format!("/api/v1/cta-rules/{}", rule.as_str().unwrap()), &["label", "priority", "enabled"]),
            ("UpdateNotificationChannelRequest", format!("/api/v1/notification-channels/{}", channel.as_str().unwrap()), &["url", "events", "enabled"]),
        ];
        for (schema, path, fields) in cases {
            for field in fields {
                assert!(!allows_null(&body_property(&doc, schema, field)), "{schema}.{field} is documented as nullable");
                let r = app.patch(&path, &app.admin, json!({ *field: null })).await;
                assert_eq!(r.assert_problem(422), [*field], "{path} {field}: {}", r.text);
            }
        }
        // The fields that do take null still say so.
        assert!(allows_null(&body_property(&doc, "UpdateTicketRequest", "assigned_to_user_id")));
        assert!(allows_null(&body_property(&doc, "UpdateCtaRuleRequest", "subject_template")));
    }
}

db_test! {
    async fn empty_scope_and_event_lists_are_documented_and_refused(app: TestApp) {
        // Found: `{"scopes": []}` and `{"events": []}` answered 422 with no `minItems` documented.
        let doc = serde_json::to_value(api::openapi()).unwrap();
        assert_eq!(body_property(&doc, "CreateApiTokenRequest", "scopes")["minItems"], 1);
        assert_eq!(body_property(&doc, "CreateNotificationChannelRequest", "events")["minItems"], 1);
        assert_eq!(body_property(&doc, "UpdateNotificationChannelRequest", "events")["minItems"], 1);
        let r = app.post("/api/v1/api-tokens", &app.admin, json!({"name": "n", "scopes": []})).await;
        assert_eq!(r.assert_problem(422), ["scopes"]);
        let r = app
            .post("/api/v1/notification-channels", &app.admin, json!({"kind": "webhook", "url": "https://hooks.example.com/a", "events": []}))
            .await;
        assert_eq!(r.assert_problem(422), ["events"]);
    }
}

db_test! {
    async fn arrays_are_not_objects(app: TestApp) {
        // Found: `{"visitor": [null, null]}` recorded a conversation (serde reads structs from
        // arrays), and a lead body of `[null, null]` was accepted.
        let chat = app.token(&[Scope::ConversationsWrite]).await;
        let agent = app.post("/api/v1/agents", &app.admin, json!({"name": "Bot", "vertical": "sales"})).await.body["id"].clone();
        let cases = [
            ("/api/v1/conversations", json!({"agent_id": agent, "visitor": [null, null]}), "visitor"),
            ("/api/v1/conversations", json!({"agent_id": agent, "visitor": ["Jo", "jo@example.com"]}), "visitor"),
            ("/api/v1/conversations", json!({"agent_id": agent, "messages": [["visitor", "hi"]]}), "messages[0]"),
            ("/api/v1/leads/events", json!([null, null]), "body"),
            ("/api/v1/leads/events", json!([]), "body"),
        ];
        for (path, body, field) in cases {
            let r = app.post(path, &chat, body.clone()).await;
            assert_eq!(r.assert_problem(422), [field], "{path} {body}: {}", r.text);
        }
        let r = app.post("/api/v1/agents", &app.admin, json!({"name": "B", "vertical": "sales", "vertical_overrides": [["ticketing"]]})).await;
        assert_eq!(r.assert_problem(422), ["vertical_overrides"], "{}", r.text);
        // Objects and nulls still work.
        let r = app.post("/api/v1/conversations", &chat, json!({"agent_id": agent, "visitor": null, "messages": null})).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let r = app.post("/api/v1/leads/events", &chat, json!({})).await;
        assert_eq!(r.status, 202, "{}", r.text);
    }
}

db_test! {
    async fn an_undocumented_method_on_a_documented_path_answers_405_with_allow(app: TestApp) {
        // Found: `TRACE /api/v1/agents` answered 404 (the path exists; the method does not).
        let trace = Method::from_bytes(b"TRACE").unwrap();
        let cases = [
            (trace.clone(), "/api/v1/agents", "GET, POST"),
            (Method::PUT, "/api/v1/tickets/ACME-1", "GET, PATCH"),
            (trace.clone(), "/api/v1/me", "GET"),
            (Method::DELETE, "/api/v1/tickets", "GET, POST"),
            (trace, "/healthz", "GET"),
        ];
        for (method, path, allow) in cases {
            let r = app.request(method.clone(), path, Some(&app.admin), None).await;
            r.assert_problem(405);
            assert_eq!(r.headers.get("allow").and_then(|v| v.to_str().ok()), Some(allow), "{method} {path}");
        }
        // Unknown paths are still 404, whatever the method.
        for (method, path) in [(Method::GET, "/api/v1/nope"), (Method::PUT, "/api/v1/tickets/ACME-1/nope")] {
            let r = app.request(method, path, Some(&app.admin), None).await;
            r.assert_problem(404);
        }
    }
}

db_test! {
    async fn the_nul_character_is_refused_not_a_500(app: TestApp) {
        // Found: `GET /tickets?q=…%00` answered 500 on SQLite (the full-text query ends at
        // NUL); PostgreSQL refuses NUL in any text column.
        let r = app.get("/api/v1/tickets?q=abc%00", &app.admin).await;
        assert_eq!(r.assert_problem(422), ["q"], "{}", r.text);
        let r = app.post("/api/v1/tickets", &app.admin, json!({"subject": "a\u{0}b", "body": "b\u{0}", "metadata": {"k": ["\u{0}"]}})).await;
        assert_eq!(r.assert_problem(422), ["body", "metadata", "subject"], "{}", r.text);
        let r = app.request(Method::POST, "/api/v1/auth/login", None, Some(&json!({"email": "a\u{0}@b.co", "password": "x"}))).await;
        assert_eq!(r.assert_problem(422), ["email"], "{}", r.text);
        let chat = app.token(&[Scope::ConversationsWrite]).await;
        let r = app.post("/api/v1/leads/events", &chat, json!({"email": "jo\u{0}@example.com", "phone": "\u{0}"})).await;
        assert_eq!(r.assert_problem(422), ["email", "phone"], "{}", r.text);
    }
}
