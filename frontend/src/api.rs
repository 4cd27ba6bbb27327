//! A typed client of the REST API. `login` is the one call without a token; everything
//! else goes through an [`AuthorizedApi`], whose existence means "signed in". Every call
//! answers `Result<T, ApiFailure>`; a 401 signs the operator out with a message.

use std::collections::BTreeMap;

use api_types::*;
use gloo_net::http::{Request, RequestBuilder, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::logic::encode_component;
use crate::state::{AppState, EXPIRED_MESSAGE};

const BASE: &str = "/api/v1";

/// Why a call failed: the problem+json `detail` and the field `errors`, or a network error
/// (status 0).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ApiFailure {
    pub status: u16,
    pub detail: String,
    pub errors: BTreeMap<String, Vec<String>>,
}

impl ApiFailure {
    fn network(err: impl std::fmt::Display) -> Self {
        ApiFailure {
            status: 0,
            detail: format!("The server could not be reached ({err})."),
            ..Default::default()
        }
    }

    /// The messages about one field, joined, if any.
    pub fn field(&self, name: &str) -> Option<String> {
        self.errors.get(name).map(|m| m.join(" "))
    }

    /// The text to show: the detail, then every field message.
    pub fn message(&self) -> String {
        let mut out = self.detail.clone();
        for (field, messages) in &self.errors {
            out.push_str(&format!(" {field}: {}.", messages.join(", ")));
        }
        out
    }

    async fn from_response(resp: Response) -> Self {
        let status = resp.status();
        match resp.json::<Problem>().await {
            Ok(p) => ApiFailure { status, detail: p.detail, errors: p.errors.unwrap_or_default() },
            Err(_) => ApiFailure {
                status,
                detail: format!("The server answered {status} {}.", resp.status_text()),
                ..Default::default()
            },
        }
    }
}

async fn decode<T: DeserializeOwned>(resp: Response) -> Result<T, ApiFailure> {
    if resp.ok() {
        resp.json::<T>().await.map_err(|e| ApiFailure {
            status: resp.status(),
            detail: format!("Unexpected answer from the server: {e}"),
            ..Default::default()
        })
    } else {
        Err(ApiFailure::from_response(resp).await)
    }
}

/// `POST /auth/login`.
pub async fn login(email: &str, password: &str) -> Result<LoginResponse, ApiFailure> {
    let body = LoginRequest { email: email.to_owned(), password: password.to_owned(), workspace: None };
    let req = Request::post(&format!("{BASE}/auth/login")).json(&body).map_err(ApiFailure::network)?;
    let resp = req.send().await.map_err(ApiFailure::network)?;
    decode(resp).await
}

/// What `POST /tickets/bulk` answered.
#[derive(Debug, Clone, PartialEq)]
pub enum BulkAnswer {
    /// By ids: every ticket changed in one transaction.
    Done(BulkUpdated),
    /// By query: a job, queued.
    Job(Job),
}

/// The client of a signed-in user.
#[derive(Clone)]
pub struct AuthorizedApi {
    token: String,
    app: AppState,
}

impl AuthorizedApi {
    pub fn new(token: String, app: AppState) -> Self {
        AuthorizedApi { token, app }
    }

    /// The URL of the live event stream: `EventSource` cannot send headers, so it carries a
    /// single-use link token (never the session token itself, which would end up in logs).
    pub async fn events_url(&self) -> Result<String, ApiFailure> {
        let link: LinkToken = self.post("/auth/link-tokens", &serde_json::json!({})).await?;
        Ok(format!("{BASE}/events?link_token={}", encode_component(&link.link_token)))
    }

    fn auth(&self, builder: RequestBuilder) -> RequestBuilder {
        builder.header("Authorization", &format!("Bearer {}", self.token))
    }

    async fn send<T: DeserializeOwned>(
        &self,
        req: Result<Request, gloo_net::Error>,
    ) -> Result<T, ApiFailure> {
        let resp = req.map_err(ApiFailure::network)?.send().await.map_err(ApiFailure::network)?;
        if resp.status() == 401 {
            self.app.sign_out(Some(EXPIRED_MESSAGE));
        }
        decode(resp).await
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ApiFailure> {
        self.send(self.auth(Request::get(&format!("{BASE}{path}"))).build()).await
    }

    async fn post<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T, ApiFailure> {
        self.send(self.auth(Request::post(&format!("{BASE}{path}"))).json(body)).await
    }

    async fn patch<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T, ApiFailure> {
        self.send(self.auth(Request::patch(&format!("{BASE}{path}"))).json(body)).await
    }

    async fn put<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T, ApiFailure> {
        self.send(self.auth(Request::put(&format!("{BASE}{path}"))).json(body)).await
    }

    pub async fn sla_policy(&self) -> Result<api_types::SlaPolicyDoc, ApiFailure> {
        self.get("/sla-policy").await
    }

    pub async fn put_sla_policy(
        &self,
        body: &api_types::SlaPolicyDoc,
    ) -> Result<api_types::SlaPolicyDoc, ApiFailure> {
        self.put("/sla-policy", body).await
    }

    async fn delete(&self, path: &str) -> Result<(), ApiFailure> {
        self.no_content(self.auth(Request::delete(&format!("{BASE}{path}"))).build()).await
    }

    /// A call answered with no body (204).
    async fn no_content(&self, req: Result<Request, gloo_net::Error>) -> Result<(), ApiFailure> {
        let resp = req.map_err(ApiFailure::network)?.send().await.map_err(ApiFailure::network)?;
        if resp.status() == 401 {
            self.app.sign_out(Some(EXPIRED_MESSAGE));
        }
        if resp.ok() { Ok(()) } else { Err(ApiFailure::from_response(resp).await) }
    }

    pub async fn create_user(&self, body: &CreateUserRequest) -> Result<Member, ApiFailure> {
        self.post("/users", body).await
    }

    pub async fn update_user(&self, id: Uuid, body: &UpdateUserRequest) -> Result<Member, ApiFailure> {
        self.patch(&format!("/users/{id}"), body).await
    }

    pub async fn delete_user(&self, id: Uuid) -> Result<(), ApiFailure> {
        self.delete(&format!("/users/{id}")).await
    }

    /// `POST /me/password`: 204, after which this session no longer works.
    pub async fn change_password(&self, body: &ChangePasswordRequest) -> Result<(), ApiFailure> {
        self.no_content(self.auth(Request::post(&format!("{BASE}/me/password"))).json(body)).await
    }

    /// `api_query` comes from [`crate::logic::TicketFilter::to_api_query`].
    pub async fn list_tickets(&self, api_query: &str) -> Result<List<Ticket>, ApiFailure> {
        self.get(&format!("/tickets{api_query}")).await
    }

    /// `GET /tickets/export.csv` for `api_query` (the list's query): the file's name and bytes.
    pub async fn export_csv(&self, api_query: &str) -> Result<(String, Vec<u8>), ApiFailure> {
        let req = self.auth(Request::get(&format!("{BASE}/tickets/export.csv{api_query}"))).build();
        let resp = req.map_err(ApiFailure::network)?.send().await.map_err(ApiFailure::network)?;
        if resp.status() == 401 {
            self.app.sign_out(Some(EXPIRED_MESSAGE));
        }
        if !resp.ok() {
            return Err(ApiFailure::from_response(resp).await);
        }
        let name = resp
            .headers()
            .get("content-disposition")
            .and_then(|d| d.split("filename=\"").nth(1).map(|n| n.trim_end_matches('"').to_owned()))
            .unwrap_or_else(|| "tickets.csv".to_owned());
        let bytes = resp.binary().await.map_err(ApiFailure::network)?;
        Ok((name, bytes))
    }

    /// `GET /views?counts=true`: the views this user sees, each with its count.
    pub async fn views(&self) -> Result<List<SavedView>, ApiFailure> {
        self.get("/views?counts=true").await
    }

    pub async fn create_view(&self, body: &CreateViewRequest) -> Result<SavedView, ApiFailure> {
        self.post("/views", body).await
    }

    pub async fn delete_view(&self, id: Uuid) -> Result<(), ApiFailure> {
        self.delete(&format!("/views/{id}")).await
    }

    /// `POST /tickets/bulk`: by ids the outcome at once, by query the job to follow.
    pub async fn bulk_update(&self, body: &BulkUpdateRequest) -> Result<BulkAnswer, ApiFailure> {
        let req = self.auth(Request::post(&format!("{BASE}/tickets/bulk"))).json(body);
        let resp = req.map_err(ApiFailure::network)?.send().await.map_err(ApiFailure::network)?;
        if resp.status() == 401 {
            self.app.sign_out(Some(EXPIRED_MESSAGE));
        }
        if resp.status() == 202 {
            decode::<JobAccepted>(resp).await.map(|a| BulkAnswer::Job(a.job))
        } else {
            decode::<BulkUpdated>(resp).await.map(BulkAnswer::Done)
        }
    }

    pub async fn job(&self, id: Uuid) -> Result<Job, ApiFailure> {
        self.get(&format!("/jobs/{id}")).await
    }

    pub async fn get_ticket(&self, reference: &str) -> Result<TicketDetail, ApiFailure> {
        self.get(&format!("/tickets/{}", encode_component(reference))).await
    }

    pub async fn update_ticket(
        &self,
        reference: &str,
        body: &UpdateTicketRequest,
    ) -> Result<Ticket, ApiFailure> {
        self.patch(&format!("/tickets/{}", encode_component(reference)), body).await
    }

    pub async fn ticket_events(&self, reference: &str) -> Result<List<TicketEvent>, ApiFailure> {
        self.get(&format!("/tickets/{}/events", encode_component(reference))).await
    }

    pub async fn users(&self) -> Result<List<Member>, ApiFailure> {
        self.get("/users").await
    }

    pub async fn conversations(&self) -> Result<List<ConversationSummary>, ApiFailure> {
        self.get("/conversations?per_page=100").await
    }

    pub async fn conversation(&self, id: Uuid) -> Result<Conversation, ApiFailure> {
        self.get(&format!("/conversations/{id}")).await
    }

    pub async fn escalate(&self, id: Uuid, body: &EscalateRequest) -> Result<Ticket, ApiFailure> {
        self.post(&format!("/conversations/{id}/escalate"), body).await
    }

    pub async fn api_tokens(&self) -> Result<List<ApiToken>, ApiFailure> {
        self.get("/api-tokens").await
    }

    pub async fn create_api_token(
        &self,
        body: &CreateApiTokenRequest,
    ) -> Result<CreatedApiToken, ApiFailure> {
        self.post("/api-tokens", body).await
    }

    pub async fn revoke_api_token(&self, id: Uuid) -> Result<(), ApiFailure> {
        self.delete(&format!("/api-tokens/{id}")).await
    }

    pub async fn agents(&self) -> Result<List<Agent>, ApiFailure> {
        self.get("/agents").await
    }

    pub async fn create_agent(&self, body: &CreateAgentRequest) -> Result<Agent, ApiFailure> {
        self.post("/agents", body).await
    }

    pub async fn update_agent(&self, id: Uuid, body: &UpdateAgentRequest) -> Result<Agent, ApiFailure> {
        self.patch(&format!("/agents/{id}"), body).await
    }

    pub async fn agent_tools(&self, id: Uuid) -> Result<List<Tool>, ApiFailure> {
        self.get(&format!("/agents/{id}/tools")).await
    }

    pub async fn update_cta_rule(
        &self,
        id: Uuid,
        body: &UpdateCtaRuleRequest,
    ) -> Result<CtaRule, ApiFailure> {
        self.patch(&format!("/cta-rules/{id}"), body).await
    }

    pub async fn delete_cta_rule(&self, id: Uuid) -> Result<(), ApiFailure> {
        self.delete(&format!("/cta-rules/{id}")).await
    }

    pub async fn update_channel(
        &self,
        id: Uuid,
        body: &UpdateNotificationChannelRequest,
    ) -> Result<NotificationChannel, ApiFailure> {
        self.patch(&format!("/notification-channels/{id}"), body).await
    }

    pub async fn delete_channel(&self, id: Uuid) -> Result<(), ApiFailure> {
        self.delete(&format!("/notification-channels/{id}")).await
    }

    pub async fn channel_deliveries(&self, id: Uuid) -> Result<List<Delivery>, ApiFailure> {
        self.get(&format!("/notification-channels/{id}/deliveries")).await
    }

    pub async fn cta_rules(&self) -> Result<List<CtaRule>, ApiFailure> {
        self.get("/cta-rules").await
    }

    pub async fn create_cta_rule(&self, body: &CreateCtaRuleRequest) -> Result<CtaRule, ApiFailure> {
        self.post("/cta-rules", body).await
    }

    pub async fn channels(&self) -> Result<List<NotificationChannel>, ApiFailure> {
        self.get("/notification-channels").await
    }

    pub async fn create_channel(
        &self,
        body: &CreateNotificationChannelRequest,
    ) -> Result<CreatedNotificationChannel, ApiFailure> {
        self.post("/notification-channels", body).await
    }

    /// The whole thread of a ticket, oldest first (walked by cursor, 100 at a time).
    pub async fn comments(&self, reference: &str) -> Result<Vec<Comment>, ApiFailure> {
        let mut all = Vec::new();
        let mut cursor = String::new();
        loop {
            let page: List<Comment> = self
                .get(&format!(
                    "/tickets/{}/comments?per_page=100&cursor={}",
                    encode_component(reference),
                    encode_component(&cursor)
                ))
                .await?;
            all.extend(page.data);
            match page.meta.next_cursor {
                Some(next) if !next.is_empty() => cursor = next,
                _ => return Ok(all),
            }
        }
    }

    pub async fn post_comment(&self, reference: &str, body: &NewComment) -> Result<Comment, ApiFailure> {
        self.post(&format!("/tickets/{}/comments", encode_component(reference)), body).await
    }
}
