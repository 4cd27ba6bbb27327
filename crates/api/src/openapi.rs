//! The OpenAPI document's frame: title, description, security schemes, tags. Paths and
//! schemas are collected from the handlers as they are registered.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "ticketd",
        description = "Durable support tickets for an AI chat bot and help center: opened by the bot's `open_ticket` tool, a visitor's call-to-action, an operator's escalation, or this API.\n\nAuthenticate with `Authorization: Bearer <token>`: a session token from `POST /api/v1/auth/login`, or an API token (`tkd_…`) with scopes. Errors are `application/problem+json` (RFC 9457); validation failures (422) list `errors` per field.",
        license(name = "MIT")
    ),
    modifiers(&SecurityAddon),
    tags(
        (name = "auth", description = "Sign-in and the caller's identity"),
        (name = "tickets", description = "Support tickets"),
        (name = "sla", description = "SLA targets: due times for first response and resolution"),
        (name = "conversations", description = "Chats recorded by the chat backend; the operators' Inbox and handoff"),
        (name = "agents", description = "Chat bots, their tools and tool invocations"),
        (name = "cta-rules", description = "Call-to-action buttons that open tickets"),
        (name = "notifications", description = "Webhook and Slack channels, deliveries, lead events, and the live event stream"),
        (name = "views", description = "Saved views of the ticket list, personal or shared"),
        (name = "inbound", description = "Inbound e-mail handed in by an MTA or a mail relay (`inbound:write` tokens)"),
        (name = "users", description = "Workspace members"),
        (name = "api-tokens", description = "Integration tokens (admin)"),
        (name = "operations", description = "Health and readiness probes"),
    )
)]
struct ApiDoc;

struct SecurityAddon;

impl Modify for SecurityAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A session token (JWT) from `POST /api/v1/auth/login`, or an API token `tkd_…`",
                    ))
                    .build(),
            ),
        );
    }
}

pub fn base() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
