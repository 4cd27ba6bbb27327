//! `/app/inbox`: the live conversations; pick one (`?c=<id>`, so it can be linked) to read
//! its transcript and convert it into a ticket.

use api_types::{EscalateRequest, Priority};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};
use uuid::Uuid;

use crate::api::{ApiFailure, AuthorizedApi};
use crate::components::{ChoiceSelect, Failure, Loading, Transcript};
use crate::logic::{format_age, format_time};
use crate::state::{now, use_api};

#[component]
pub fn InboxPage() -> impl IntoView {
    let api = use_api();
    let query = use_query_map();
    let selected = Memo::new(move |_| query.read().get("c").and_then(|c| Uuid::parse_str(&c).ok()));

    let a = api.clone();
    let list = LocalResource::new(move || {
        let api = a.clone();
        async move { api.conversations().await }
    });
    let a = api.clone();
    let thread = LocalResource::new(move || {
        let (api, id) = (a.clone(), selected.get());
        async move {
            match id {
                Some(id) => Some(api.conversation(id).await),
                None => None,
            }
        }
    });

    view! {
        <div class="page-head">
            <h1>"Inbox"</h1>
            <button class="secondary" on:click=move |_| list.refetch()>"Refresh"</button>
        </div>
        <div class="inbox-layout">
            <section class="inbox-list" aria-label="Live conversations">
                {move || match list.get() {
                    None => view! { <Loading what="conversations"/> }.into_any(),
                    Some(Err(f)) => view! { <Failure failure=f/> }.into_any(),
                    Some(Ok(l)) if l.data.is_empty() => {
                        view! { <p class="empty">"No live conversations right now."</p> }.into_any()
                    }
                    Some(Ok(l)) => {
                        let now = now();
                        view! {
                            <ul class="conversations">
                                {l
                                    .data
                                    .into_iter()
                                    .map(|c| {
                                        let id = c.id;
                                        let who = c
                                            .visitor
                                            .name
                                            .clone()
                                            .or(c.visitor.email.clone())
                                            .unwrap_or_else(|| "Anonymous visitor".into());
                                        view! {
                                            <li class:selected=move || selected.get() == Some(id)>
                                                <A href=format!("/app/inbox?c={id}") attr:class="conversation-link">
                                                    <strong>{who}</strong>
                                                    <span class="muted">
                                                        " with " {c.agent_name} " · " {format_age(c.last_activity_at, now)}
                                                    </span>
                                                    {c.has_ticket.then(|| view! { <span class="badge">"has a ticket"</span> })}
                                                </A>
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                        }
                            .into_any()
                    }
                }}
            </section>
            <section class="chat-pane" aria-label="Conversation">
                {move || match thread.get() {
                    None => view! { <Loading what="the conversation"/> }.into_any(),
                    Some(None) => {
                        view! { <p class="empty">"Pick a conversation to read it and convert it into a ticket."</p> }
                            .into_any()
                    }
                    Some(Some(Err(f))) => view! { <Failure failure=f/> }.into_any(),
                    Some(Some(Ok(c))) => {
                        let first = c
                            .messages
                            .iter()
                            .find(|m| m.role == "visitor")
                            .map(|m| m.content.chars().take(100).collect::<String>())
                            .unwrap_or_default();
                        view! {
                            <h2>
                                {c.summary.visitor.name.clone().unwrap_or_else(|| "Anonymous visitor".into())}
                                " with " {c.summary.agent_name.clone()}
                            </h2>
                            <p class="muted">
                                "Started " {format_time(c.summary.started_at)} " · expires "
                                {format_time(c.summary.expires_at)}
                            </p>
                            {let tickets = c.tickets.clone();
                            (!tickets.is_empty())
                                .then(move || {
                                    view! {
                                        <p>
                                            "Tickets: "
                                            {tickets
                                                .into_iter()
                                                .map(|t| {
                                                    let href = format!("/app/tickets/{}", t.reference);
                                                    view! {
                                                        <A href=href>{t.reference}</A>
                                                        " "
                                                    }
                                                })
                                                .collect_view()}
                                        </p>
                                    }
                                })}
                            <Transcript messages=c.messages.clone()/>
                            <Convert id=c.summary.id subject=first api=api.clone()/>
                        }
                            .into_any()
                    }
                }}
            </section>
        </div>
    }
}

/// "Convert to ticket": `POST /conversations/{id}/escalate`, then on to the new ticket.
#[component]
fn Convert(id: Uuid, subject: String, api: AuthorizedApi) -> impl IntoView {
    let navigate = use_navigate();
    let subject = RwSignal::new(subject);
    let body = RwSignal::new(String::new());
    let priority = RwSignal::new(Priority::Normal);
    let failure = RwSignal::new(None::<ApiFailure>);
    let busy = RwSignal::new(false);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let req = EscalateRequest {
            subject: subject.get_untracked(),
            body: body.get_untracked(),
            priority: Some(priority.get_untracked()),
        };
        busy.set(true);
        failure.set(None);
        let (api, navigate) = (api.clone(), navigate.clone());
        leptos::task::spawn_local(async move {
            match api.escalate(id, &req).await {
                Ok(ticket) => navigate(&format!("/tickets/{}", ticket.reference), NavigateOptions::default()),
                Err(f) => {
                    failure.try_set(Some(f));
                    busy.try_set(false);
                }
            }
        });
    };
    let field_error = move |name: &'static str| {
        move || failure.get().and_then(|f| f.field(name)).map(|m| view! { <p class="field-error">{m}</p> })
    };
    view! {
        <form class="card convert" on:submit=submit aria-labelledby="convert-title">
            <h3 id="convert-title">"Convert to ticket"</h3>
            <label for="c-subject">"Subject"</label>
            <input id="c-subject" required maxlength="120" bind:value=subject/>
            {field_error("subject")}
            <label for="c-body">"What the team should do"</label>
            <textarea id="c-body" rows="3" required bind:value=body></textarea>
            {field_error("body")}
            <label for="c-priority">"Priority"</label>
            <ChoiceSelect id="c-priority" choices=Priority::ALL value=priority/>
            <button type="submit" id="convert" disabled=move || busy.get()>"Convert to ticket"</button>
            {move || failure.get().map(|f| view! { <p class="error" role="alert">{f.detail}</p> })}
        </form>
    }
}
