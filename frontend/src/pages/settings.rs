//! `/app/settings`: your password (everyone); for admins the team (`team.rs`), API tokens, agents, call-to-action buttons and
//! notification channels: create forms; agents editable (vertical, overrides) with their tools;
//! buttons and channels enabled, disabled or deleted; a channel's latest deliveries.

use api_types::{
    Agent, Capability, ChannelKind, CreateAgentRequest, CreateApiTokenRequest, CreateCtaRuleRequest,
    CreateNotificationChannelRequest, CtaKind, Scope, UpdateAgentRequest, UpdateCtaRuleRequest,
    UpdateNotificationChannelRequest, Vertical, VerticalOverrides,
};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use uuid::Uuid;

use crate::api::ApiFailure;
use crate::components::{Failure, Loading};
use crate::logic::{format_time, priority_label};
use crate::pages::team::{ChangePassword, Team};
use crate::state::{use_api, use_app};

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
                    <super::SlaSettings/>
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

pub(super) fn error_line(f: RwSignal<Option<ApiFailure>>) -> impl IntoView {
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
fn Agents() -> impl IntoView {
    let api = use_api();
    let a = api.clone();
    let list = LocalResource::new(move || {
        let api = a.clone();
        async move { api.agents().await }
    });
    let saved = Callback::new(move |()| list.refetch());
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
                                .map(|a| view! { <AgentRow agent=a saved=saved/> })
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

/// Asks before something irreversible; `false` when the browser cannot ask.
pub(super) fn confirmed(question: &str) -> bool {
    window().confirm_with_message(question).unwrap_or(false)
}

/// One agent: its vertical and capability overrides, editable (PATCH), and its tools.
#[component]
fn AgentRow(agent: Agent, saved: Callback<()>) -> impl IntoView {
    let api = use_api();
    let id = agent.id;
    let vertical = RwSignal::new(agent.vertical);
    let overrides = RwSignal::new(agent.vertical_overrides.capabilities.clone());
    let state = RwSignal::new(None::<Result<(), ApiFailure>>);
    let show_tools = RwSignal::new(false);
    let caps: Vec<&str> = agent.capabilities.iter().map(|c| c.as_str()).collect();
    let save = move |ev: SubmitEvent| {
        ev.prevent_default();
        let req = UpdateAgentRequest {
            vertical: Some(vertical.get_untracked()),
            vertical_overrides: Some(VerticalOverrides { capabilities: overrides.get_untracked() }),
            ..UpdateAgentRequest::default()
        };
        let api = api.clone();
        leptos::task::spawn_local(async move {
            match api.update_agent(id, &req).await {
                Ok(_) => {
                    state.try_set(Some(Ok(())));
                    saved.run(());
                }
                Err(f) => {
                    state.try_set(Some(Err(f)));
                }
            }
        });
    };
    let vid = format!("ag-vertical-{id}");
    view! {
        <li class="agent" data-agent=id.to_string()>
            <strong>{agent.name}</strong>
            " · can: "
            <span class="agent-caps">{caps.join(", ")}</span>
            <br/>
            <code class="muted">{id.to_string()}</code>
            <form on:submit=save class="inline-form">
                <label for=vid.clone()>"Vertical"</label>
                <select id=vid on:change=move |ev| {
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
                <fieldset>
                    <legend>"Extra capabilities (overrides)"</legend>
                    {Capability::ALL
                        .iter()
                        .map(|c| {
                            let c = *c;
                            view! {
                                <label class="check">
                                    <input
                                        type="checkbox"
                                        value=c.as_str()
                                        prop:checked=move || overrides.get().contains(&c)
                                        on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            overrides.update(|v| {
                                                v.retain(|x| *x != c);
                                                if on {
                                                    v.push(c);
                                                }
                                            });
                                        }
                                    />
                                    {c.as_str()}
                                </label>
                            }
                        })
                        .collect_view()}
                </fieldset>
                <button type="submit" class="small">"Save agent"</button>
                " "
                <button
                    type="button"
                    class="secondary small"
                    aria-expanded=move || show_tools.get().to_string()
                    on:click=move |_| show_tools.update(|s| *s = !*s)
                >
                    "Tools"
                </button>
                <span class="save-state" role="status">
                    {move || match state.get() {
                        None => String::new(),
                        Some(Ok(())) => "Saved".to_owned(),
                        Some(Err(f)) => f.message(),
                    }}
                </span>
            </form>
            {move || show_tools.get().then(|| view! { <AgentTools id=id/> })}
        </li>
    }
}

/// The tools an agent gets from its capabilities (`GET /agents/{id}/tools`).
#[component]
fn AgentTools(id: Uuid) -> impl IntoView {
    let api = use_api();
    let tools = LocalResource::new(move || {
        let api = api.clone();
        async move { api.agent_tools(id).await }
    });
    move || match tools.get() {
        None => view! { <Loading what="tools"/> }.into_any(),
        Some(Err(f)) => view! { <Failure failure=f/> }.into_any(),
        Some(Ok(l)) if l.data.is_empty() => {
            view! { <p class="empty">"No tools: no capability needs one."</p> }.into_any()
        }
        Some(Ok(l)) => view! {
            <ul class="tools">
                {l
                    .data
                    .into_iter()
                    .map(|t| view! { <li><code>{t.name}</code> " — " {t.description}</li> })
                    .collect_view()}
            </ul>
        }
        .into_any(),
    }
}

/// The latest deliveries to one channel: status, attempts and the last error.
#[component]
fn ChannelDeliveries(id: Uuid) -> impl IntoView {
    let api = use_api();
    let list = LocalResource::new(move || {
        let api = api.clone();
        async move { api.channel_deliveries(id).await }
    });
    move || {
        match list.get() {
        None => view! { <Loading what="deliveries"/> }.into_any(),
        Some(Err(f)) => view! { <Failure failure=f/> }.into_any(),
        Some(Ok(l)) if l.data.is_empty() => view! { <p class="empty">"No deliveries yet."</p> }.into_any(),
        Some(Ok(l)) => view! {
            <ul class="deliveries">
                {l
                    .data
                    .into_iter()
                    .map(|d| {
                        let code = d.last_status_code.map(|c| format!(" · HTTP {c}")).unwrap_or_default();
                        view! {
                            <li>
                                {d.event_type.as_str()} " · " <strong>{d.status.as_str()}</strong> " · " {d.attempts} " attempt(s)" {code}
                                {d.last_attempt_at.map(|at| format!(" · last {}", format_time(at)))}
                                {d.last_error.map(|e| view! { <br/><span class="error">{e}</span> })}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
            .into_any(),
    }
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
    let a = api.clone();
    let toggle = move |id: Uuid, enabled: bool| {
        let api = a.clone();
        let req = UpdateCtaRuleRequest { enabled: Some(enabled), ..UpdateCtaRuleRequest::default() };
        leptos::task::spawn_local(async move {
            match api.update_cta_rule(id, &req).await {
                Ok(_) => list.refetch(),
                Err(f) => {
                    failure.try_set(Some(f));
                }
            }
        });
    };
    let a = api.clone();
    let remove = move |id: Uuid, label: String| {
        if !confirmed(&format!("Delete the button \u{201c}{label}\u{201d}?")) {
            return;
        }
        let api = a.clone();
        leptos::task::spawn_local(async move {
            match api.delete_cta_rule(id).await {
                Ok(()) => list.refetch(),
                Err(f) => {
                    failure.try_set(Some(f));
                }
            }
        });
    };
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
                    let toggle = toggle.clone();
                    let remove = remove.clone();
                    view! {
                        <ul class="plain">
                            {l
                                .data
                                .into_iter()
                                .map(|r| {
                                    let (id, enabled, name) = (r.id, r.enabled, r.label.clone());
                                    let toggle = toggle.clone();
                                    let remove = remove.clone();
                                    view! {
                                        <li class="cta-rule">
                                            <strong>{r.label}</strong>
                                            " · " {r.kind.as_str()} " · " {priority_label(r.priority)}
                                            <span class="rule-state">{if r.enabled { " · enabled" } else { " · disabled" }}</span>
                                            {if r.agent_id.is_some() { " · one agent" } else { " · every agent" }}
                                            " "
                                            <button type="button" class="secondary small toggle" on:click=move |_| toggle(id, !enabled)>
                                                {if enabled { "Disable" } else { "Enable" }}
                                            </button>
                                            " "
                                            <button type="button" class="secondary small delete" on:click=move |_| remove(id, name.clone())>
                                                "Delete"
                                            </button>
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
    let a = api.clone();
    let toggle = move |id: Uuid, enabled: bool| {
        let api = a.clone();
        let req = UpdateNotificationChannelRequest {
            enabled: Some(enabled),
            ..UpdateNotificationChannelRequest::default()
        };
        leptos::task::spawn_local(async move {
            match api.update_channel(id, &req).await {
                Ok(_) => list.refetch(),
                Err(f) => {
                    failure.try_set(Some(f));
                }
            }
        });
    };
    let a = api.clone();
    let remove = move |id: Uuid, url: String| {
        if !confirmed(&format!("Delete the channel to {url}?")) {
            return;
        }
        let api = a.clone();
        leptos::task::spawn_local(async move {
            match api.delete_channel(id).await {
                Ok(()) => list.refetch(),
                Err(f) => {
                    failure.try_set(Some(f));
                }
            }
        });
    };
    let create = move |ev: SubmitEvent| {
        ev.prevent_default();
        // One input: the URL of a webhook or Slack channel, the mailbox of an e-mail one.
        let kind = kind.get_untracked();
        let (target_url, address) = match kind {
            ChannelKind::Email => (None, Some(url.get_untracked().trim().to_owned())),
            _ => (Some(url.get_untracked()), None),
        };
        let req = CreateNotificationChannelRequest {
            kind,
            url: target_url,
            address,
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
                    secret.try_set(c.secret);
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
                    let toggle = toggle.clone();
                    let remove = remove.clone();
                    view! {
                        <ul class="plain">
                            {l
                                .data
                                .into_iter()
                                .map(|c| {
                                    let events: Vec<&str> = c.events.iter().map(|e| e.as_str()).collect();
                                    let target = c.url.clone().or(c.address.clone()).unwrap_or_default();
                                    let (id, enabled, url) = (c.id, c.enabled, target.clone());
                                    let toggle = toggle.clone();
                                    let remove = remove.clone();
                                    let show = RwSignal::new(false);
                                    view! {
                                        <li class="channel">
                                            <strong>{c.kind.as_str()}</strong>
                                            " " {target} " · " {events.join(", ")}
                                            <span class="rule-state">{if c.enabled { " · enabled" } else { " · disabled" }}</span>
                                            " "
                                            <button type="button" class="secondary small toggle" on:click=move |_| toggle(id, !enabled)>
                                                {if enabled { "Disable" } else { "Enable" }}
                                            </button>
                                            " "
                                            <button type="button" class="secondary small delete" on:click=move |_| remove(id, url.clone())>
                                                "Delete"
                                            </button>
                                            " "
                                            <button
                                                type="button"
                                                class="secondary small"
                                                aria-expanded=move || show.get().to_string()
                                                on:click=move |_| show.update(|s| *s = !*s)
                                            >
                                                "Deliveries"
                                            </button>
                                            {move || show.get().then(|| view! { <ChannelDeliveries id=id/> })}
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
                    kind.set(match event_target_value(&ev).as_str() {
                        "slack" => ChannelKind::Slack,
                        "email" => ChannelKind::Email,
                        _ => ChannelKind::Webhook,
                    })
                }>
                    <option value="webhook">"Webhook"</option>
                    <option value="slack">"Slack"</option>
                    <option value="email">"E-mail (the team's mailbox)"</option>
                </select>
                <label for="ch-url">{move || if kind.get() == ChannelKind::Email { "Address" } else { "URL" }}</label>
                <input
                    id="ch-url"
                    type=move || if kind.get() == ChannelKind::Email { "email" } else { "url" }
                    placeholder=move || if kind.get() == ChannelKind::Email { "team@acme.test" } else { "https://hooks.example.com/ticketd" }
                    required
                    bind:value=url
                />
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
