//! Settings → Call-to-action buttons: the buttons (each enabled or disabled, deleted after
//! confirming) and the form for a new one.

use api_types::{CreateCtaRuleRequest, CtaKind, CtaRule, UpdateCtaRuleRequest};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use super::{confirmed, error_line, listing};
use crate::api::ApiFailure;
use crate::logic::priority_label;
use crate::state::use_api;
use crate::task::spawn_report;

#[component]
pub fn CtaRules() -> impl IntoView {
    let api = use_api();
    let list = LocalResource::new(move || {
        let api = api.clone();
        async move { api.cta_rules().await }
    });
    let reload = Callback::new(move |()| list.refetch());
    let failure = RwSignal::new(None::<ApiFailure>);
    view! {
        <section class="card" aria-labelledby="cta-title">
            <h2 id="cta-title">"Call-to-action buttons"</h2>
            {listing(list, "buttons", "No buttons yet.", move |rules| {
                view! {
                    <ul class="plain">
                        {rules
                            .into_iter()
                            .map(|r| view! { <CtaRuleRow rule=r failure=failure reload=reload/> })
                            .collect_view()}
                    </ul>
                }
            })}
            <NewCtaRule failure=failure created=reload/>
            {error_line(failure)}
        </section>
    }
}

/// A button: its label, kind, priority, state and audience, and its buttons.
#[component]
fn CtaRuleRow(rule: CtaRule, failure: RwSignal<Option<ApiFailure>>, reload: Callback<()>) -> impl IntoView {
    let api = use_api();
    let CtaRule { id, kind, label, agent_id, priority, enabled, .. } = rule;
    let a = api.clone();
    let toggle = move |_| {
        let req = UpdateCtaRuleRequest { enabled: Some(!enabled), ..UpdateCtaRuleRequest::default() };
        let api = a.clone();
        spawn_report(failure, async move { api.update_cta_rule(id, &req).await }, move |_| reload.run(()));
    };
    let question = format!("Delete the button \u{201c}{label}\u{201d}?");
    let remove = move |_| {
        if !confirmed(&question) {
            return;
        }
        let api = api.clone();
        spawn_report(failure, async move { api.delete_cta_rule(id).await }, move |()| reload.run(()));
    };
    view! {
        <li class="cta-rule">
            <strong>{label}</strong>
            " · " {kind.as_str()} " · " {priority_label(priority)}
            <span class="rule-state">{if enabled { " · enabled" } else { " · disabled" }}</span>
            {if agent_id.is_some() { " · one agent" } else { " · every agent" }}
            " "
            <button type="button" class="secondary small toggle" on:click=toggle>
                {if enabled { "Disable" } else { "Enable" }}
            </button>
            " "
            <button type="button" class="secondary small delete" on:click=remove>
                "Delete"
            </button>
        </li>
    }
}

/// The form for a new button (it opens a ticket, for every agent).
#[component]
fn NewCtaRule(failure: RwSignal<Option<ApiFailure>>, created: Callback<()>) -> impl IntoView {
    let api = use_api();
    let label = RwSignal::new(String::new());
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
            created.run(());
        });
    };
    view! {
        <form on:submit=create class="inline-form">
            <label for="cta-label">"New button label"</label>
            <input id="cta-label" required bind:value=label/>
            <button type="submit">"Create button"</button>
        </form>
    }
}
