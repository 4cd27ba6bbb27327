//! The OpenAPI document: `openapi.yaml` is generated from the code and must match it;
//! every operation is documented; the interactive docs are served with no network.

use reqwest::Method;

use crate::db_test;
use crate::helpers::*;

const REGENERATE: &str = "cargo run -p ticketd -- openapi > openapi.yaml";

fn committed_yaml_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi.yaml")
}

#[test]
fn openapi_yaml_is_up_to_date() {
    let generated = api::openapi_yaml();
    let path = committed_yaml_path();
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &generated).expect("write openapi.yaml");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi.yaml is stale: regenerate it with `{REGENERATE}` (or UPDATE_OPENAPI=1 cargo test -p api --test api openapi)"
    );
}

#[test]
fn every_operation_is_documented() {
    let doc = serde_json::to_value(api::openapi()).expect("json");
    let paths = doc["paths"].as_object().expect("paths");
    let mut operation_ids = Vec::new();
    for (path, item) in paths {
        for (method, op) in item.as_object().expect("path item") {
            let at = format!("{method} {path}");
            let id = op["operationId"].as_str().unwrap_or_else(|| panic!("{at}: no operationId"));
            operation_ids.push(id.to_owned());
            assert!(op["summary"].as_str().is_some_and(|s| !s.is_empty()), "{at}: no summary");
            assert!(op["tags"].as_array().is_some_and(|t| !t.is_empty()), "{at}: no tag");
            let responses = op["responses"].as_object().expect("responses");
            assert!(responses.keys().any(|code| code.starts_with('2')), "{at}: no success response");
            if op.get("security").is_some() {
                for code in ["401", "403"] {
                    // `/me` and link tokens are for every caller: nothing is forbidden.
                    let needs_403 = !path.ends_with("/me") && !path.ends_with("/auth/link-tokens");
                    if code == "401" || needs_403 {
                        assert!(responses.contains_key(code), "{at}: {code} not documented");
                    }
                }
            }
            // The API's errors are problems; the probes answer their own `Health` body.
            for (code, response) in responses.iter().filter(|_| path.starts_with("/api/v1")) {
                if code.starts_with('4') || code.starts_with('5') {
                    assert!(
                        response["content"]["application/problem+json"].is_object(),
                        "{at}: {code} is not documented as problem+json"
                    );
                }
            }
        }
    }
    let mut unique = operation_ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), operation_ids.len(), "operation ids are unique");
    for expected in [
        "login",
        "get_me",
        "list_tickets",
        "create_ticket",
        "get_ticket",
        "update_ticket",
        "list_ticket_events",
        "list_users",
        "list_api_tokens",
        "create_api_token",
        "revoke_api_token",
        "healthz",
        "readyz",
    ] {
        assert!(operation_ids.iter().any(|id| id == expected), "{expected} is documented");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

db_test! {
    async fn the_served_document_is_the_generated_one_and_the_docs_work_offline(app: TestApp) {
        let r = app.request(Method::GET, "/api-docs/openapi.json", None, None).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body, serde_json::to_value(api::openapi()).unwrap());
        // Every route the server answers is in the document.
        let paths = r.body["paths"].as_object().unwrap();
        for path in ["/api/v1/tickets", "/api/v1/tickets/{key}", "/api/v1/tickets/{key}/events", "/api/v1/auth/login", "/api/v1/me", "/api/v1/users", "/api/v1/api-tokens", "/api/v1/api-tokens/{id}", "/healthz", "/readyz"] {
            assert!(paths.contains_key(path), "{path} missing");
        }
        // Swagger UI is served from the binary: the page and its assets, no CDN.
        let page = app.request(Method::GET, "/docs/", None, None).await;
        assert_eq!(page.status, 200);
        assert!(page.text.contains("swagger"), "{}", &page.text[..page.text.len().min(300)]);
        assert!(!page.text.contains("https://"), "the docs page loads nothing from the internet");
        for asset in ["/docs/swagger-ui.css", "/docs/swagger-ui-bundle.js", "/docs/swagger-initializer.js"] {
            let r = app.request(Method::GET, asset, None, None).await;
            assert_eq!(r.status, 200, "{asset}");
        }
        let init = app.request(Method::GET, "/docs/swagger-initializer.js", None, None).await;
        assert!(init.text.contains("/api-docs/openapi.json"));
    }
}

db_test! {
    async fn responses_carry_a_request_id(app: TestApp) {
        let a = app.get("/api/v1/me", &app.admin).await;
        let b = app.get("/api/v1/tickets/nope", &app.admin).await;
        let id = |r: &Response| r.headers.get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let (a, b) = (id(&a).expect("x-request-id"), id(&b).expect("x-request-id on errors too"));
        assert_ne!(a, b);
        assert!(uuid::Uuid::parse_str(&a).is_ok());
    }
}

/// Every `$ref` in `value`, with where it was found.
fn refs(value: &serde_json::Value, at: &str, found: &mut Vec<(String, String)>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, child) in map {
                if key == "$ref" {
                    found.push((at.to_owned(), child.as_str().unwrap_or_default().to_owned()));
                } else {
                    refs(child, &format!("{at}.{key}"), found);
                }
            }
        }
        serde_json::Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                refs(child, &format!("{at}[{i}]"), found);
            }
        }
        _ => {}
    }
}

/// A client generated from the document gets one type per resource: every list's items are
/// a `$ref` to the resource's own schema, never an inlined copy of it (utoipa's generics
/// inline them unless told otherwise), and every `$ref` points at a schema that exists.
#[test]
fn list_items_are_refs_to_the_resource_schema() {
    let doc = serde_json::to_value(api::openapi()).expect("json");
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    let mut lists = 0;
    for (name, schema) in schemas {
        let Some(data) = schema["properties"].get("data") else { continue };
        if data["type"] != "array" {
            continue;
        }
        lists += 1;
        let items = &data["items"];
        let target = items["$ref"]
            .as_str()
            .unwrap_or_else(|| panic!("{name}.data.items inlines its item instead of a $ref: {items}"));
        let item = target.trim_start_matches("#/components/schemas/");
        assert!(schemas.contains_key(item), "{name}.data.items refers to a missing schema {target}");
        if let Some(resource) = name.strip_prefix("List_") {
            assert_eq!(item, resource, "{name} lists {item}");
        }
        assert_eq!(schema["properties"]["meta"]["$ref"], "#/components/schemas/ListMeta", "{name}.meta");
    }
    assert!(lists >= 10, "the document's lists were not found ({lists})");
    let mut found = Vec::new();
    refs(&doc, "", &mut found);
    for (at, target) in found {
        let name = target.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("{at}: {target}"));
        assert!(schemas.contains_key(name), "{at} refers to a missing schema {target}");
    }
}
