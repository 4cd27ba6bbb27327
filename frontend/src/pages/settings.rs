//! `/app/settings` (admins): API tokens, members, agents, call-to-action buttons and
//! notification channels — lists with a create form each.

use api_types::{
    ChannelKind, CreateAgentRequest, CreateApiTokenRequest, CreateCtaRuleRequest,
    CreateNotificationChannelRequest, CtaKind, Scope, Vertical,
};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use uuid::Uuid;

use crate::api::ApiFailure;
use crate::components::{Failure, Loading};
use crate::logic::{format_time, priority_label};
use crate::state::{use_api, use_app};

#[component]
pub fn SettingsPage() -> impl IntoView {
    let app = use_app();
    move || {
        if app.session.with(|s| s.as_ref().is_some_and(|s| s.is_admin())) {
            view! {
                <h1>"Settings"</h1>
                <div class="settings">
                    <Tokens/>
                    <Members/>
                    <Agents/>
                    <CtaRules/>
                    <Channels/>
                </div>
            }
            .into_any()
        } else {
            view! { <p class="card">"Settings are for workspace admins."</p> }.into_any()
        }
    }
}

fn error_line(f: RwSignal<Option<ApiFailure>>) -> impl IntoView {
    move || f.get().map(|f| view! { <p class="error" role="alert">{f.message()}</p> })
}

#[component]
fn Tokens() -> impl IntoView {
    let api = use_api();
    let a = api.clone();
    let list = LocalResource::new(move || {
        let api = a.clone();
        async move { api.api_tokens().await }
    });
    let name = RwSignal::new(String::new());
    let scopes = RwSignal::new(vec![Scope::TicketsRead]);
    let secret = RwSignal::new(None::<String>);
    let failure = RwSignal::new(None::<ApiFailure>);
    let a = api.clone();
    let create = move |ev: SubmitEvent| {
        ev.prevent_default();
        let req = CreateApiTokenRequest { name: name.get_untracked(), scopes: scopes.get_untracked() };
        let api = a.clone();
        leptos::task::spawn_local(async move {
            match api.create_api_token(&req).await {
                Ok(t) => {
                    secret.try_set(Some(t.secret));
                    failure.try_set(None);
                    name.try_set(String::new());
                    list.refetch();
                }
                Err(f) => {
                    failure.try_set(Some(f));
                }
            }
        });
    };
    let revoke = move |id: Uuid| {
        let api = api.clone();
        leptos::task::spawn_local(async move {
            match api.revoke_api_token(id).await {
                Ok(()) => list.refetch(),
                Err(f) => {
                    failure.try_set(Some(f));
                }
            }
        });
    };
    view! {
        <section class="card" aria-labelledby="tokens-title">
            <h2 id="tokens-title">"API tokens"</h2>
            {move || match list.get() {
                None => view! { <Loading what="tokens"/> }.into_any(),
                Some(Err(f)) => view! { <Failure failure=f/> }.into_any(),
                Some(Ok(l)) if l.data.is_empty() => view! { <p class="empty">"No tokens yet."</p> }.into_any(),
                Some(Ok(l)) => {
                    let revoke = revoke.clone();
                    view! {
                        <ul class="plain">
                            {l
                                .data
                                .into_iter()
                                .map(|t| {
                                    let revoke = revoke.clone();
                                    let scopes: Vec<&str> = t.scopes.iter().map(|s| s.as_str()).collect();
                                    view! {
                                        <li>
                                            <strong>{t.name}</strong>
                                            " (" {scopes.join(", ")} ") created " {format_time(t.created_at)}
                                            {match t.revoked_at {
                                                Some(at) => view! { <span class="muted">" · revoked " {format_time(at)}</span> }.into_any(),
                                                None => {
                                                    let id = t.id;
                                                    view! {
                                                        " "
                                                        <button class="secondary small" on:click=move |_| revoke(id)>"Revoke"</button>
                                                    }
                                                        .into_any()
                                                }
                                            }}
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                        .into_any()
                }
            }}
            <form on:submit=create>
                <label for="t-name">"New token name"</label>
                <input id="t-name" required bind:value=name/>
                <fieldset>
                    <legend>"Scopes"</legend>
                    {Scope::ALL
                        .iter()
                        .map(|s| {
                            let s = *s;
                            view! {
                                <label class="check">
                                    <input
                                        type="checkbox"
                                        prop:checked=move || scopes.get().contains(&s)
                                        on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            scopes.update(|v| {
                                                v.retain(|x| *x != s);
                                                if on {
                                                    v.push(s);
                                                }
                                            });
                                        }
                                    />
                                    {s.as_str()}
                                </label>
                            }
                        })
                        .collect_view()}
                </fieldset>
                <button type="submit">"Create token"</button>
            </form>
            {move || {
                secret
                    .get()
                    .map(|s| {
                        view! {
                            <div class="notice" role="status">
                                <p>"The secret, shown this once — store it now:"</p>
                                <code id="token-secret">{s}</code>
                            </div>
                        }
                    })
            }}
            {error_line(failure)}
        </section>
    }
}

#[component]
fn Members() -> impl IntoView {
    let api = use_api();
    let list = LocalResource::new(move || {
        let api = api.clone();
        async move { api.users().await }
    });
    view! {
        <section class="card" aria-labelledby="members-title">
            <h2 id="members-title">"Members"</h2>
            {move || match list.get() {
                None => view! { <Loading what="members"/> }.into_any(),
                Some(Err(f)) => view! { <Failure failure=f/> }.into_any(),
                Some(Ok(l)) => {
                    view! {
                        <ul class="plain">
                            {l
                                .data
                                .into_iter()
                                .map(|m| view! { <li>{m.name} " <" {m.email} "> · " {m.role.as_str()}</li> })
                                .collect_view()}
                        </ul>
                        <p class="muted">"Add members with " <code>"ticketd user create"</code> "."</p>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}

#[component]
fn Agents() -> impl IntoView {
    let api = use_api();
    let a = api.clone();
    let list = LocalResource::new(move || {
        let api = a.clone();
        async move { api.agents().await }
    });
    let name = RwSignal::new(String::new());
    let vertical = RwSignal::new(Vertical::HelpCenter);
    let failure = RwSignal::new(None::<ApiFailure>);
    let create = move |ev: SubmitEvent| {
        ev.prevent_default();
        let req = CreateAgentRequest {
            name: name.get_untracked(),
            vertical: vertical.get_untracked(),
            vertical_overrides: None,
        };
        let api = api.clone();
        leptos::task::spawn_local(async move {
            match api.create_agent(&req).await {
                Ok(_) => {
                    failure.try_set(None);
                    name.try_set(String::new());
                    list.refetch();
                }
                Err(f) => {
                    failure.try_set(Some(f));
                }
            }
        });
    };
    view! {
        <section class="card" aria-labelledby="agents-title">
            <h2 id="agents-title">"Agents"</h2>
            {move || match list.get() {
                None => view! { <Loading what="agents"/> }.into_any(),
                Some(Err(f)) => view! { <Failure failure=f/> }.into_any(),
                Some(Ok(l)) if l.data.is_empty() => view! { <p class="empty">"No agents yet."</p> }.into_any(),
                Some(Ok(l)) => {
                    view! {
                        <ul class="plain">
                            {l
                                .data
                                .into_iter()
                                .map(|a| {
                                    let caps: Vec<&str> = a.capabilities.iter().map(|c| c.as_str()).collect();
                                    let extra: Vec<&str> =
                                        a.vertical_overrides.capabilities.iter().map(|c| c.as_str()).collect();
                                    view! {
                                        <li>
                                            <strong>{a.name}</strong>
                                            " · " {a.vertical.as_str()} " · can: " {caps.join(", ")}
                                            {(!extra.is_empty())
                                                .then(|| view! { <span class="muted">" (overrides: " {extra.join(", ")} ")"</span> })}
                                            <br/>
                                            <code class="muted">{a.id.to_string()}</code>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                        .into_any()
                }
            }}
            <form on:submit=create class="inline-form">
                <label for="a-name">"New agent"</label>
                <input id="a-name" required bind:value=name/>
                <label for="a-vertical">"Vertical"</label>
                <select id="a-vertical" on:change=move |ev| {
                    if let Ok(v) = event_target_value(&ev).parse() {
                        vertical.set(v)
                    }
                }>
                    {Vertical::ALL
                        .iter()
                        .map(|v| {
                            let v = *v;
                            view! { <option value=v.as_str() prop:selected=move || vertical.get() == v>{v.as_str()}</option> }
                        })
                        .collect_view()}
                </select>
                <button type="submit">"Create agent"</button>
            </form>
            {error_line(failure)}
        </section>
    }
}

#[component]
fn CtaRules() -> impl IntoView {
    let api = use_api();
    let a = api.clone();
    let list = LocalResource::new(move || {
        let api = a.clone();
        async move { api.cta_rules().await }
    });
    let label = RwSignal::new(String::new());
    let failure = RwSignal::new(None::<ApiFailure>);
    let create = move |ev: SubmitEvent| {
        ev.prevent_default();
        let req = CreateCtaRuleRequest {
            kind: CtaKind::OpenTicket,
            label: label.get_untracked(),
            agent_id: None,
            subject_template: None,
            priority: None,
            enabled: None,
        };
        let api = api.clone();
        leptos::task::spawn_local(async move {
            match api.create_cta_rule(&req).await {
                Ok(_) => {
                    failure.try_set(None);
                    label.try_set(String::new());
                    list.refetch();
                }
                Err(f) => {
                    failure.try_set(Some(f));
                }
            }
        });
    };
    view! {
        <section class="card" aria-labelledby="cta-title">
            <h2 id="cta-title">"Call-to-action buttons"</h2>
            {move || match list.get() {
                None => view! { <Loading what="buttons"/> }.into_any(),
                Some(Err(f)) => view! { <Failure failure=f/> }.into_any(),
                Some(Ok(l)) if l.data.is_empty() => view! { <p class="empty">"No buttons yet."</p> }.into_any(),
                Some(Ok(l)) => {
                    view! {
                        <ul class="plain">
                            {l
                                .data
                                .into_iter()
                                .map(|r| {
                                    view! {
                                        <li>
                                            <strong>{r.label}</strong>
                                            " · " {r.kind.as_str()} " · " {priority_label(r.priority)}
                                            {if r.enabled { " · enabled" } else { " · disabled" }}
                                            {if r.agent_id.is_some() { " · one agent" } else { " · every agent" }}
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                        .into_any()
                }
            }}
            <form on:submit=create class="inline-form">
                <label for="cta-label">"New button label"</label>
                <input id="cta-label" required bind:value=label/>
                <button type="submit">"Create button"</button>
            </form>
            {error_line(failure)}
        </section>
    }
}

#[component]
fn Channels() -> impl IntoView {
    let api = use_api();
    let a = api.clone();
    let list = LocalResource::new(move || {
        let api = a.clone();
        async move { api.channels().await }
    });
    let url = RwSignal::new(String::new());
    let kind = RwSignal::new(ChannelKind::Webhook);
    let secret = RwSignal::new(None::<String>);
    let failure = RwSignal::new(None::<ApiFailure>);
    let create = move |ev: SubmitEvent| {
        ev.prevent_default();
        let req = CreateNotificationChannelRequest {
            kind: kind.get_untracked(),
            url: url.get_untracked(),
            events: None,
            secret: None,
            enabled: None,
        };
        let api = api.clone();
        leptos::task::spawn_local(async move {
            match api.create_channel(&req).await {
                Ok(c) => {
                    failure.try_set(None);
                    url.try_set(String::new());
                    secret.try_set(Some(c.secret));
                    list.refetch();
                }
                Err(f) => {
                    failure.try_set(Some(f));
                }
            }
        });
    };
    view! {
        <section class="card" aria-labelledby="channels-title">
            <h2 id="channels-title">"Notification channels"</h2>
            {move || match list.get() {
                None => view! { <Loading what="channels"/> }.into_any(),
                Some(Err(f)) => view! { <Failure failure=f/> }.into_any(),
                Some(Ok(l)) if l.data.is_empty() => view! { <p class="empty">"No channels yet."</p> }.into_any(),
                Some(Ok(l)) => {
                    view! {
                        <ul class="plain">
                            {l
                                .data
                                .into_iter()
                                .map(|c| {
                                    let events: Vec<&str> = c.events.iter().map(|e| e.as_str()).collect();
                                    view! {
                                        <li>
                                            <strong>{c.kind.as_str()}</strong>
                                            " " {c.url} " · " {events.join(", ")}
                                            {if c.enabled { "" } else { " · disabled" }}
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                        .into_any()
                }
            }}
            <form on:submit=create class="inline-form">
                <label for="ch-kind">"Kind"</label>
                <select id="ch-kind" on:change=move |ev| {
                    kind.set(if event_target_value(&ev) == "slack" { ChannelKind::Slack } else { ChannelKind::Webhook })
                }>
                    <option value="webhook">"Webhook"</option>
                    <option value="slack">"Slack"</option>
                </select>
                <label for="ch-url">"URL"</label>
                <input id="ch-url" type="url" required bind:value=url/>
                <button type="submit">"Create channel"</button>
            </form>
            {move || {
                secret
                    .get()
                    .map(|s| {
                        view! {
                            <div class="notice" role="status">
                                <p>"Signing secret, shown this once:"</p>
                                <code>{s}</code>
                            </div>
                        }
                    })
            }}
            {error_line(failure)}
        </section>
    }
}
