//! `/app/settings`: your password (everyone); for admins the team, API tokens, agents,
//! call-to-action buttons, notification channels and the SLA targets: a section and a module
//! each, with the helpers they share here.

mod agents;
mod channels;
mod cta_rules;
mod sla;
mod team;
mod tokens;

use api_types::List;
use leptos::prelude::*;

use crate::api::ApiFailure;
use crate::components::{Failure, Loading};
use crate::state::use_app;
use agents::Agents;
use channels::Channels;
use cta_rules::CtaRules;
use sla::SlaSettings;
use team::{ChangePassword, Team};
use tokens::Tokens;

#[component]
pub fn SettingsPage() -> impl IntoView {
    let app = use_app();
    move || {
        if app.session.with(|s| s.as_ref().is_some_and(|s| s.is_admin())) {
            view! {
                <h1>"Settings"</h1>
                <div class="settings">
                    <Team/>
                    <ChangePassword/>
                    <Tokens/>
                    <Agents/>
                    <CtaRules/>
                    <Channels/>
                    <SlaSettings/>
                </div>
            }
            .into_any()
        } else {
            view! {
                <h1>"Settings"</h1>
                <div class="settings">
                    <ChangePassword/>
                </div>
            }
            .into_any()
        }
    }
}

/// A section's failure, under its form.
fn error_line(f: RwSignal<Option<ApiFailure>>) -> impl IntoView {
    move || f.get().map(|f| view! { <p class="error" role="alert">{f.message()}</p> })
}

/// Asks before something irreversible; `false` when the browser cannot ask.
fn confirmed(question: &str) -> bool {
    window().confirm_with_message(question).unwrap_or(false)
}

/// A listed resource: "Loading …" (`what`), its failure, the `empty` line, or `rows`.
fn listing<T, V>(
    list: LocalResource<Result<List<T>, ApiFailure>>,
    what: &'static str,
    empty: &'static str,
    rows: impl Fn(Vec<T>) -> V + Send + Sync + 'static,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    move || match list.get() {
        None => view! { <Loading what=what/> }.into_any(),
        Some(Err(f)) => view! { <Failure failure=f/> }.into_any(),
        Some(Ok(l)) if l.data.is_empty() => view! { <p class="empty">{empty}</p> }.into_any(),
        Some(Ok(l)) => rows(l.data).into_any(),
    }
}

/// A secret the server shows once (a token's, a channel's signing secret).
fn shown_once(
    secret: RwSignal<Option<String>>,
    intro: &'static str,
    code_id: Option<&'static str>,
) -> impl IntoView {
    move || {
        secret.get().map(|s| {
            view! {
                <div class="notice" role="status">
                    <p>{intro}</p>
                    <code id=code_id>{s}</code>
                </div>
            }
        })
    }
}
