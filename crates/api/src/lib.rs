//! The JSON API over HTTP (actix-web): handlers, the auth extractor, problem+json errors,
//! and the OpenAPI document generated from the handlers' annotations (utoipa).
//!
//! `Application::build` binds a listener (port 0 in tests) and returns a server ready to
//! run; the `ticketd` binary owns configuration and process concerns.

pub mod agents;
pub mod auth;
pub mod bulk;
pub mod comments;
pub mod conversations;
pub mod convert;
pub mod cta;
pub mod error;
pub mod events;
pub mod export;
pub mod extract;
pub mod health;
pub mod inbound;
pub mod jwt;
pub mod link_tokens;
pub mod logging;
pub mod notifications;
pub mod openapi;
pub mod security;
pub mod sla;
pub mod spa;
pub mod stream_auth;
pub mod tickets;
pub mod timeout;
pub mod tokens;
pub mod users;
pub mod views;

use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::{Server, Service};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{App, HttpMessage, HttpRequest, HttpResponse, HttpServer, web};
use store::Store;
use tracing_actix_web::{RequestId, TracingLogger};
use utoipa_actix_web::{AppExt, scope};
use utoipa_swagger_ui::SwaggerUi;
use uuid::Uuid;

pub use comments::MailSettings;
pub use error::ApiError;
pub use jwt::JwtKeys;
pub use security::{RateClock, Security, SecuritySettings};
pub use spa::Spa;

/// What every handler shares.
pub struct AppState {
    pub store: Store,
    pub jwt: JwtKeys,
    /// Accept webhook URLs on loopback/private addresses (local testing only).
    pub webhooks_allow_private: bool,
    /// Rate limits, proxy trust and CORS.
    pub security: Security,
    /// Outgoing mail (`TICKETD_SMTP_URL`, `TICKETD_MAIL_FROM`); `None`: replies answer 409.
    pub mail: Option<MailSettings>,
}

/// Server settings the binary decides.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Worker threads (default: one per core).
    pub workers: Option<usize>,
    /// Seconds in-flight requests get to finish on shutdown.
    pub shutdown_timeout: u64,
    /// How long an API request may take to answer (its status and headers) before it
    /// answers 503; `None`: no limit. See [`timeout`].
    pub request_timeout: Option<Duration>,
}

/// The default of [`ServerOptions::request_timeout`] (`TICKETD_REQUEST_TIMEOUT_SECONDS`).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

impl Default for ServerOptions {
    fn default() -> Self {
        Self { workers: None, shutdown_timeout: 30, request_timeout: Some(DEFAULT_REQUEST_TIMEOUT) }
    }
}

/// A path segment that must be a UUID; anything else cannot name a row, so 404.
pub fn parse_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::NotFound)
}

/// Registers the API, the probes, the docs and the admin app on an app.
fn app(
    state: web::Data<AppState>,
    spa: web::Data<Spa>,
    request_timeout: Option<Duration>,
) -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let cors = state.security.cors();
    let app =
        App::new()
            .app_data(state)
            // Path and query extraction never fail with actix's plain-text errors: a segment
            // that cannot be decoded cannot name a row.
            .app_data(web::PathConfig::default().error_handler(|_, _| ApiError::NotFound.into()))
            .app_data(web::QueryConfig::default().error_handler(|err, _| {
                ApiError::BadRequest(format!("malformed query string: {err}")).into()
            }));
    let (app, api) = routes(app, cors, request_timeout).split_for_parts();
    // No validator badge: it would load an image from a third-party host.
    let swagger = SwaggerUi::new("/docs/{_:.*}")
        .url("/api-docs/openapi.json", api)
        .config(utoipa_swagger_ui::Config::default().validator_url("none"));
    app.service(swagger)
        // The admin app after the API and the docs; unknown `/api/...` paths still answer
        // problem+json 404s from the default service.
        .app_data(spa)
        .route("/", web::get().to(spa::root))
        .service(
            web::scope("/app")
                .wrap(actix_web::middleware::Compress::default())
                .default_service(web::to(spa::serve_app)),
        )
        .default_service(web::to(not_found))
        // These two decorate errors too: an error that reaches them (the request timeout's
        // 503) becomes its response after them, through the mappers they add.
        .wrap_fn(|req, srv| {
            let path = req.path().to_owned();
            let call = srv.call(req);
            async move {
                match call.await {
                    Ok(mut res) => {
                        security::secure_headers(&path, res.headers_mut());
                        Ok(res)
                    }
                    Err(mut err) => {
                        err.add_response_mapper(move |mut res| {
                            security::secure_headers(&path, res.headers_mut());
                            res
                        });
                        Err(err)
                    }
                }
            }
        })
        .wrap_fn(|req, srv| {
            // Echo the request id that every log line of this request carries.
            let id = req.extensions().get::<RequestId>().map(|id| id.to_string());
            let value = id.and_then(|id| HeaderValue::from_str(&id).ok());
            let call = srv.call(req);
            async move {
                let name = HeaderName::from_static("x-request-id");
                match (call.await, value) {
                    (Ok(mut res), Some(value)) => {
                        res.headers_mut().insert(name, value);
                        Ok(res)
                    }
                    (Err(mut err), Some(value)) => {
                        err.add_response_mapper(move |mut res| {
                            res.headers_mut().insert(name.clone(), value.clone());
                            res
                        });
                        Err(err)
                    }
                    (answer, None) => answer,
                }
            }
        })
        .wrap(TracingLogger::<logging::RedactedRootSpan>::new())
}

/// The probes and the API. Every `/api/v1` request is bounded by `request_timeout` (inside
/// CORS, so that a browser can read the 503); `/readyz` bounds its own check.
fn routes<T>(
    app: App<T>,
    cors: actix_cors::Cors,
    request_timeout: Option<Duration>,
) -> utoipa_actix_web::UtoipaApp<T>
where
    T: actix_web::dev::ServiceFactory<
            actix_web::dev::ServiceRequest,
            Config = (),
            Error = actix_web::Error,
            InitError = (),
        >,
{
    app.into_utoipa_app().openapi(openapi::base()).service(health::healthz).service(health::readyz).service(
        scope("/api/v1")
            .service(auth::login)
            .service(auth::get_me)
            .service(tokens::list_api_tokens)
            .service(tokens::create_api_token)
            .service(tokens::revoke_api_token)
            .service(users::list_users)
            .service(users::create_user)
            .service(users::update_user)
            .service(users::delete_user)
            .service(users::change_password)
            .service(link_tokens::create_link_token)
            .service(tickets::list_tickets)
            .service(tickets::create_ticket)
            // Before `/tickets/{key}`, whose pattern their paths also match.
            .service(export::export_tickets)
            .service(bulk::bulk_update_tickets)
            .service(bulk::get_job)
            .service(tickets::get_ticket)
            .service(tickets::update_ticket)
            .service(tickets::list_ticket_events)
            .service(sla::get_sla_policy)
            .service(sla::put_sla_policy)
            .service(comments::list_comments)
            .service(comments::create_comment)
            .service(conversations::create_conversation)
            .service(conversations::list_conversations)
            .service(conversations::get_conversation)
            .service(conversations::add_message)
            .service(conversations::escalate_conversation)
            .service(agents::list_agents)
            .service(agents::create_agent)
            .service(agents::get_agent)
            .service(agents::update_agent)
            .service(agents::delete_agent)
            .service(agents::list_agent_tools)
            .service(agents::list_agent_cta_rules)
            .service(agents::invoke_tool)
            .service(cta::list_cta_rules)
            .service(cta::create_cta_rule)
            .service(cta::get_cta_rule)
            .service(cta::update_cta_rule)
            .service(cta::delete_cta_rule)
            .service(cta::click_cta_rule)
            .service(notifications::list_notification_channels)
            .service(notifications::create_notification_channel)
            .service(notifications::get_notification_channel)
            .service(notifications::update_notification_channel)
            .service(notifications::delete_notification_channel)
            .service(notifications::test_notification_channel)
            .service(notifications::list_channel_deliveries)
            .service(notifications::create_lead_event)
            .service(events::stream_events)
            .service(views::list_views)
            .service(views::create_view)
            .service(views::get_view)
            .service(views::update_view)
            .service(views::delete_view)
            .service(inbound::receive_inbound_email)
            .wrap(actix_web::middleware::from_fn(move |req, next| timeout::bound(request_timeout, req, next)))
            .wrap(cors)
            .wrap(actix_web::middleware::from_fn(security::cors_refusal_as_problem)),
    )
}

/// The OpenAPI document, exactly as served at `/api-docs/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes(App::new(), security::cors(&[]), None).split_for_parts().1
}

/// The OpenAPI document as YAML: the content of `openapi.yaml` at the repository root.
pub fn openapi_yaml() -> String {
    // Serialising the document's own types cannot fail.
    openapi().to_yaml().unwrap_or_default()
}

async fn not_found(req: HttpRequest) -> HttpResponse {
    use actix_web::ResponseError;
    error::unmatched(req.path()).error_response()
}

/// Binds the server to `listener` and returns it, ready to be awaited; the admin app is
/// served from the files embedded in the binary.
pub fn serve(listener: TcpListener, state: AppState, options: &ServerOptions) -> std::io::Result<Server> {
    serve_with_app(listener, state, options, Spa::Embedded)
}

/// [`serve`], with the admin app's files from `spa` (e.g. `TICKETD_STATIC_DIR`).
pub fn serve_with_app(
    listener: TcpListener,
    state: AppState,
    options: &ServerOptions,
    spa: Spa,
) -> std::io::Result<Server> {
    let state = web::Data::new(state);
    let spa = web::Data::new(spa);
    let request_timeout = options.request_timeout;
    let mut server = HttpServer::new(move || app(state.clone(), spa.clone(), request_timeout))
        .shutdown_timeout(options.shutdown_timeout)
        .listen(listener)?;
    if let Some(workers) = options.workers {
        server = server.workers(workers);
    }
    Ok(server.run())
}
