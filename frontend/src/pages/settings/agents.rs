//! Settings → Agents: the agents, each with its vertical and capability overrides editable and
//! its tools on demand, and the form for a new one.

use api_types::{Agent, Capability, CreateAgentRequest, UpdateAgentRequest, Vertical, VerticalOverrides};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use uuid::Uuid;

use super::{error_line, listing};
use crate::api::ApiFailure;
use crate::components::{ChoiceChecks, ChoiceSelect};
use crate::state::use_api;
use crate::task::spawn_report;

#[component]
pub fn Agents() -> impl IntoView {
    let api = use_api();
    let list = LocalResource::new(move || {
        let api = api.clone();
        async move { api.agents().await }
    });
    let saved = Callback::new(move |()| list.refetch());
    let failure = RwSignal::new(None::<ApiFailure>);
    view! {
        <section class="card" aria-labelledby="agents-title">
            <h2 id="agents-title">"Agents"</h2>
            {listing(list, "agents", "No agents yet.", move |agents| {
                view! {
                    <ul class="plain">
                        {agents.into_iter().map(|a| view! { <AgentRow agent=a saved=saved/> }).collect_view()}
                    </ul>
                }
            })}
            <NewAgent failure=failure created=saved/>
            {error_line(failure)}
        </section>
    }
}

/// The form for a new agent: a name and a vertical.
#[component]
fn NewAgent(failure: RwSignal<Option<ApiFailure>>, created: Callback<()>) -> impl IntoView {
    let api = use_api();
    let name = RwSignal::new(String::new());
    let vertical = RwSignal::new(Vertical::HelpCenter);
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
            created.run(());
        });
    };
    view! {
        <form on:submit=create class="inline-form">
            <label for="a-name">"New agent"</label>
            <input id="a-name" required bind:value=name/>
            <label for="a-vertical">"Vertical"</label>
            <ChoiceSelect id="a-vertical" choices=Vertical::ALL value=vertical/>
            <button type="submit">"Create agent"</button>
        </form>
    }
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
                <ChoiceSelect id=vid choices=Vertical::ALL value=vertical/>
                <ChoiceChecks legend="Extra capabilities (overrides)" choices=Capability::ALL value=overrides/>
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
    listing(tools, "tools", "No tools: no capability needs one.", |tools| {
        view! {
            <ul class="tools">
                {tools
                    .into_iter()
                    .map(|t| view! { <li><code>{t.name}</code> " — " {t.description}</li> })
                    .collect_view()}
            </ul>
        }
    })
}
