//! Settings → API tokens: the tokens (each revocable), the form for a new one with its scopes,
//! and the new token's secret, shown once.

use api_types::{ApiToken, CreateApiTokenRequest, Scope};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use super::{error_line, listing, shown_once};
use crate::api::ApiFailure;
use crate::components::ChoiceChecks;
use crate::logic::format_time;
use crate::state::use_api;
use crate::task::spawn_report;

#[component]
pub fn Tokens() -> impl IntoView {
    let api = use_api();
    let list = LocalResource::new(move || {
        let api = api.clone();
        async move { api.api_tokens().await }
    });
    let reload = Callback::new(move |()| list.refetch());
    let secret = RwSignal::new(None::<String>);
    let failure = RwSignal::new(None::<ApiFailure>);
    let created = Callback::new(move |new_secret: String| {
        secret.set(Some(new_secret));
        list.refetch();
    });
    view! {
        <section class="card" aria-labelledby="tokens-title">
            <h2 id="tokens-title">"API tokens"</h2>
            {listing(list, "tokens", "No tokens yet.", move |tokens| {
                view! {
                    <ul class="plain">
                        {tokens
                            .into_iter()
                            .map(|t| view! { <TokenRow token=t failure=failure reload=reload/> })
                            .collect_view()}
                    </ul>
                }
            })}
            <NewToken failure=failure created=created/>
            {shown_once(secret, "The secret, shown this once — store it now:", Some("token-secret"))}
            {error_line(failure)}
        </section>
    }
}

/// A token: its name, scopes and age, and when it was revoked or a button to revoke it.
#[component]
fn TokenRow(token: ApiToken, failure: RwSignal<Option<ApiFailure>>, reload: Callback<()>) -> impl IntoView {
    let api = use_api();
    let ApiToken { id, name, scopes, created_at, revoked_at, .. } = token;
    let scopes: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
    let revoke = move |_| {
        let api = api.clone();
        spawn_report(failure, async move { api.revoke_api_token(id).await }, move |()| reload.run(()));
    };
    view! {
        <li>
            <strong>{name}</strong>
            " (" {scopes.join(", ")} ") created " {format_time(created_at)}
            {match revoked_at {
                Some(at) => view! { <span class="muted">" · revoked " {format_time(at)}</span> }.into_any(),
                None => {
                    view! {
                        " "
                        <button class="secondary small" on:click=revoke>"Revoke"</button>
                    }
                        .into_any()
                }
            }}
        </li>
    }
}

/// The form for a new token: a name and its scopes. `created` gets the new token's secret.
#[component]
fn NewToken(failure: RwSignal<Option<ApiFailure>>, created: Callback<String>) -> impl IntoView {
    let api = use_api();
    let name = RwSignal::new(String::new());
    let scopes = RwSignal::new(vec![Scope::TicketsRead]);
    let create = move |ev: SubmitEvent| {
        ev.prevent_default();
        let req = CreateApiTokenRequest { name: name.get_untracked(), scopes: scopes.get_untracked() };
        let api = api.clone();
        spawn_report(failure, async move { api.create_api_token(&req).await }, move |t| {
            failure.try_set(None);
            name.try_set(String::new());
            created.run(t.secret);
        });
    };
    view! {
        <form on:submit=create>
            <label for="t-name">"New token name"</label>
            <input id="t-name" required bind:value=name/>
            <ChoiceChecks legend="Scopes" choices=&Scope::ALL value=scopes/>
            <button type="submit">"Create token"</button>
        </form>
    }
}
