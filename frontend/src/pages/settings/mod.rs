//! `/app/settings`: your password (everyone); for admins the team (`team.rs`), API tokens,
//! agents, call-to-action buttons, notification channels and the SLA targets (`sla.rs`):
//! create forms; agents editable (vertical, overrides) with their tools; buttons and channels
//! enabled, disabled or deleted; a channel's latest deliveries.

mod channels;
mod sla;
mod team;
mod tokens;

use api_types::{
    Agent, Capability, CreateAgentRequest, CreateCtaRuleRequest, CtaKind, List, UpdateAgentRequest,
    UpdateCtaRuleRequest, Vertical, VerticalOverrides,
};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use uuid::Uuid;

use crate::api::ApiFailure;
use crate::components::{Failure, Loading};
use crate::logic::priority_label;
use crate::state::{use_api, use_app};
use crate::task::spawn_report;
use channels::Channels;
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
pub(super) fn error_line(f: RwSignal<Option<ApiFailure>>) -> impl IntoView {
    move || f.get().map(|f| view! { <p class="error" role="alert">{f.message()}</p> })
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
        spawn_report(failure, async move { api.create_agent(&req).await }, move |_| {
            failure.try_set(None);
            name.try_set(String::new());
            list.refetch();
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
        spawn_report(failure, async move { api.update_cta_rule(id, &req).await }, move |_| list.refetch());
    };
    let a = api.clone();
    let remove = move |id: Uuid, label: String| {
        if !confirmed(&format!("Delete the button \u{201c}{label}\u{201d}?")) {
            return;
        }
        let api = a.clone();
        spawn_report(failure, async move { api.delete_cta_rule(id).await }, move |()| list.refetch());
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
        spawn_report(failure, async move { api.create_cta_rule(&req).await }, move |_| {
            failure.try_set(None);
            label.try_set(String::new());
            list.refetch();
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
