//! The signed-in session, shared through context and kept in `localStorage` so a reload
//! keeps the operator signed in until the token expires.

use api_types::{LoginResponse, Role, UserSummary, Workspace};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::api::AuthorizedApi;
use crate::logic::session_valid;

const STORAGE_KEY: &str = "ticketd.session";
pub const EXPIRED_MESSAGE: &str = "Your session expired, please sign in again";

/// What the app keeps of a login.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub token: String,
    /// Milliseconds since the epoch.
    pub expires_at_ms: f64,
    pub user: UserSummary,
    pub workspace: Workspace,
    pub role: Role,
}

impl Session {
    pub fn from_login(login: LoginResponse) -> Self {
        Session {
            expires_at_ms: now_ms() + login.expires_in as f64 * 1000.0,
            token: login.access_token,
            user: login.user,
            workspace: login.workspace,
            role: login.role,
        }
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// The app-wide state, provided as context by the root component.
#[derive(Clone, Copy)]
pub struct AppState {
    pub session: RwSignal<Option<Session>>,
    /// A message for the login page ("your session expired").
    pub flash: RwSignal<Option<String>>,
    /// Bumped on every live ticket event: lists and pages refetch.
    pub live: RwSignal<u64>,
    /// The references of the ticket list last shown, in its order: `j`/`k` on a ticket page
    /// step through them.
    pub last_list: RwSignal<Vec<String>>,
}

impl AppState {
    pub fn load() -> Self {
        let (session, flash) = match stored_session() {
            Some(s) if session_valid(s.expires_at_ms, now_ms()) => (Some(s), None),
            Some(_) => {
                clear_storage();
                (None, Some(EXPIRED_MESSAGE.to_owned()))
            }
            None => (None, None),
        };
        AppState {
            session: RwSignal::new(session),
            flash: RwSignal::new(flash),
            live: RwSignal::new(0),
            last_list: RwSignal::new(Vec::new()),
        }
    }

    pub fn sign_in(&self, session: Session) {
        if let (Some(storage), Ok(json)) = (storage(), serde_json::to_string(&session)) {
            let _ = storage.set_item(STORAGE_KEY, &json);
        }
        self.flash.set(None);
        self.session.set(Some(session));
    }

    pub fn sign_out(&self, message: Option<&str>) {
        clear_storage();
        self.flash.set(message.map(str::to_owned));
        self.session.set(None);
    }

    /// The API client of the signed-in user, if any.
    pub fn api(&self) -> Option<AuthorizedApi> {
        self.session.with_untracked(|s| s.as_ref().map(|s| AuthorizedApi::new(s.token.clone(), *self)))
    }
}

pub fn use_app() -> AppState {
    expect_context::<AppState>()
}

/// The API client; only called under the sign-in guard, where a session exists.
pub fn use_api() -> AuthorizedApi {
    let app = use_app();
    app.api().unwrap_or_else(|| AuthorizedApi::new(String::new(), app))
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn stored_session() -> Option<Session> {
    let raw = storage()?.get_item(STORAGE_KEY).ok().flatten()?;
    serde_json::from_str(&raw).ok()
}

fn clear_storage() {
    if let Some(storage) = storage() {
        let _ = storage.remove_item(STORAGE_KEY);
    }
}

pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

pub fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(now_ms() as i64).unwrap_or_default()
}
