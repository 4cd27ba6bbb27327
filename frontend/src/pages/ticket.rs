//! `/app/tickets/{reference}`: the ticket beside its chat transcript, with its thread
//! (requester, replies, notes, composer: [`super::thread`]), the edit form and the activity log.

use api_types::{Member, Priority, Status, Ticket, TicketDetail, UpdateTicketRequest};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};
use uuid::Uuid;
use wasm_bindgen::JsCast;

use super::thread::ThreadSection;
use crate::api::{ApiFailure, AuthorizedApi};
use crate::components::{ChoiceSelect, Failure, Loading, PriorityBadge, StatusBadge, Transcript};
use crate::logic::{describe_event, format_time, neighbour, priority_label, source_label, status_label};
use crate::state::{use_api, use_app};
use crate::task::spawn_report;

#[derive(Debug, Clone, PartialEq)]
enum Save {
    Idle,
    Saving,
    Saved,
    Failed(ApiFailure),
}

impl From<ApiFailure> for Save {
    fn from(f: ApiFailure) -> Self {
        Save::Failed(f)
    }
}

#[component]
pub fn TicketPage() -> impl IntoView {
    let api = use_api();
    let params = use_params_map();
    let reference = Memo::new(move |_| params.read().get("reference").unwrap_or_default());
    let save = RwSignal::new(Save::Idle);
    // A new ticket page starts without the previous one's feedback.
    Effect::new(move |_| {
        reference.track();
        save.set(Save::Idle);
    });

    let a = api.clone();
    let detail = LocalResource::new(move || {
        let (api, r) = (a.clone(), reference.get());
        async move { api.get_ticket(&r).await }
    });
    let a = api.clone();
    let events = LocalResource::new(move || {
        let (api, r) = (a.clone(), reference.get());
        async move { api.ticket_events(&r).await }
    });
    let a = api.clone();
    let members = LocalResource::new(move || {
        let api = a.clone();
        async move { api.users().await }
    });

    // `j` / `k`: the next / previous ticket of the last list (no-op without one, or while
    // typing in a field).
    let app = use_app();
    let navigate = use_navigate();
    let keys = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.ctrl_key() || ev.meta_key() || ev.alt_key() || ev.default_prevented() {
            return;
        }
        let step = match ev.key().as_str() {
            "j" => 1,
            "k" => -1,
            _ => return,
        };
        let typing = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .is_some_and(|e| matches!(e.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"));
        if typing {
            return;
        }
        if let Some(next) = neighbour(&app.last_list.get_untracked(), &reference.get_untracked(), step) {
            navigate(&format!("/tickets/{next}"), NavigateOptions::default());
        }
    });
    on_cleanup(move || keys.remove());

    let on_saved = move || {
        detail.refetch();
        events.refetch();
    };
    let on_activity = move || events.refetch();

    view! {
        <p class="back">
            <A href="/app/tickets">"← All tickets"</A>
        </p>
        {move || match detail.get() {
            None => view! { <Loading what="the ticket"/> }.into_any(),
            Some(Err(f)) if f.status == 404 => {
                view! {
                    <section class="card">
                        <h1>"No ticket " {reference.get()}</h1>
                        <p>"It does not exist in this workspace."</p>
                    </section>
                }
                    .into_any()
            }
            Some(Err(f)) => view! { <Failure failure=f/> }.into_any(),
            Some(Ok(d)) => {
                let members = members.get().and_then(Result::ok).map(|l| l.data).unwrap_or_default();
                let api = api.clone();
                view! {
                    <div class="ticket-layout">
                        <section class="ticket-pane" aria-labelledby="ticket-title">
                            <TicketFacts detail=d.clone()/>
                            <ThreadSection ticket=d.ticket.clone() on_activity=on_activity/>
                            <EditTicket ticket=d.ticket.clone() members=members api=api save=save on_saved=on_saved/>
                            <h2>"Activity"</h2>
                            {move || match events.get() {
                                None => view! { <Loading what="the activity log"/> }.into_any(),
                                Some(Err(f)) => view! { <Failure failure=f/> }.into_any(),
                                Some(Ok(list)) => {
                                    view! {
                                        <ol class="activity" id="activity">
                                            {list
                                                .data
                                                .into_iter()
                                                .map(|e| {
                                                    view! {
                                                        <li>
                                                            <time datetime=e.at.to_rfc3339()>{format_time(e.at)}</time>
                                                            " "
                                                            {describe_event(&e)}
                                                        </li>
                                                    }
                                                })
                                                .collect_view()}
                                        </ol>
                                    }
                                        .into_any()
                                }
                            }}
                        </section>
                        <section class="chat-pane" aria-labelledby="chat-title" id="chat">
                            <h2 id="chat-title">"Conversation"</h2>
                            {match d.conversation {
                                Some(c) => {
                                    view! {
                                        <p class="muted">
                                            "Started " {format_time(c.started_at)} ", last message "
                                            {format_time(c.last_activity_at)}
                                        </p>
                                        <Transcript messages=c.messages/>
                                    }
                                        .into_any()
                                }
                                None => {
                                    view! {
                                        <p class="empty" id="no-conversation">
                                            "No conversation: this ticket was not opened from a chat."
                                        </p>
                                    }
                                        .into_any()
                                }
                            }}
                        </section>
                    </div>
                }
                    .into_any()
            }
        }}
    }
}

#[component]
fn TicketFacts(detail: TicketDetail) -> impl IntoView {
    let t = detail.ticket;
    let assignee =
        detail.assignee.map(|a| format!("{} <{}>", a.name, a.email)).unwrap_or_else(|| "nobody".into());
    view! {
        <h1 id="ticket-title">
            <span class="ref">{t.reference.clone()}</span>
            " "
            {t.subject.clone()}
        </h1>
        <p class="badges">
            <StatusBadge status=t.status/>
            " "
            <PriorityBadge priority=t.priority/>
        </p>
        <dl class="facts">
            <dt>"Reference"</dt>
            <dd id="fact-reference">{t.reference.clone()}</dd>
            <dt>"Status"</dt>
            <dd id="fact-status">{status_label(t.status)}</dd>
            <dt>"Priority"</dt>
            <dd id="fact-priority">{priority_label(t.priority)}</dd>
            <dt>"Assignee"</dt>
            <dd id="fact-assignee">{assignee}</dd>
            <dt>"Source"</dt>
            <dd id="fact-source">{source_label(&t.metadata)}</dd>
            <dt>"Created"</dt>
            <dd>{format_time(t.created_at)}</dd>
            <dt>"Updated"</dt>
            <dd>{format_time(t.updated_at)}</dd>
            <dt>"Resolved"</dt>
            <dd>{t.resolved_at.map(format_time).unwrap_or_else(|| "—".into())}</dd>
        </dl>
        <crate::sla_badge::SlaClocks ticket=t.clone()/>
        <h2>"Description"</h2>
        <p class="body">{t.body.clone()}</p>
    }
}

#[component]
fn EditTicket(
    ticket: Ticket,
    members: Vec<Member>,
    api: AuthorizedApi,
    save: RwSignal<Save>,
    on_saved: impl Fn() + Copy + 'static,
) -> impl IntoView {
    let status = RwSignal::new(ticket.status);
    let priority = RwSignal::new(ticket.priority);
    let assignee = RwSignal::new(ticket.assigned_to_user_id.map(|id| id.to_string()).unwrap_or_default());
    let notes = RwSignal::new(ticket.notes.clone().unwrap_or_default());
    let reference = ticket.reference.clone();

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let new_assignee = Uuid::parse_str(&assignee.get_untracked()).ok();
        let new_notes = notes.get_untracked();
        let patch = UpdateTicketRequest {
            status: Some(status.get_untracked()).filter(|s| *s != ticket.status),
            priority: Some(priority.get_untracked()).filter(|p| *p != ticket.priority),
            assigned_to_user_id: (new_assignee != ticket.assigned_to_user_id).then_some(new_assignee),
            notes: (new_notes.trim() != ticket.notes.as_deref().unwrap_or("").trim())
                .then(|| Some(new_notes).filter(|n| !n.trim().is_empty())),
            requester: None,
        };
        save.set(Save::Saving);
        let (api, reference) = (api.clone(), reference.clone());
        spawn_report(save, async move { api.update_ticket(&reference, &patch).await }, move |_| {
            save.try_set(Save::Saved);
            on_saved();
        });
    };
    let field_error = move |name: &'static str| {
        move || match save.get() {
            Save::Failed(f) => f.field(name).map(|m| view! { <p class="field-error" role="alert">{m}</p> }),
            _ => None,
        }
    };

    view! {
        <form class="edit" on:submit=submit aria-label="Edit ticket">
            <div class="edit-grid">
                <div class="field">
                    <label for="e-status">"Status"</label>
                    <ChoiceSelect id="e-status" choices=Status::ALL value=status/>
                    {field_error("status")}
                </div>
                <div class="field">
                    <label for="e-priority">"Priority"</label>
                    <ChoiceSelect id="e-priority" choices=Priority::ALL value=priority/>
                    {field_error("priority")}
                </div>
                <div class="field">
                    <label for="e-assignee">"Assignee"</label>
                    <select id="e-assignee" on:change=move |ev| assignee.set(event_target_value(&ev))>
                        <option value="" prop:selected=move || assignee.get().is_empty()>"Nobody"</option>
                        {members
                            .into_iter()
                            .map(|m| {
                                let id = m.id.to_string();
                                let value = id.clone();
                                view! {
                                    <option value=value prop:selected=move || assignee.get() == id>
                                        {m.name}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                    {field_error("assigned_to_user_id")}
                </div>
            </div>
            <div class="field">
                <label for="e-notes">"Notes"</label>
                <textarea id="e-notes" rows="4" bind:value=notes></textarea>
                {field_error("notes")}
            </div>
            <div class="inline">
                <button type="submit" id="save" disabled=move || save.get() == Save::Saving>
                    "Save changes"
                </button>
                <span id="save-state" role="status" aria-live="polite">
                    {move || match save.get() {
                        Save::Idle => view! { <span></span> }.into_any(),
                        Save::Saving => view! { <span class="muted">"Saving…"</span> }.into_any(),
                        Save::Saved => view! { <span class="ok">"Saved"</span> }.into_any(),
                        Save::Failed(f) => {
                            view! { <span class="error">"Not saved: " {f.detail}</span> }.into_any()
                        }
                    }}
                </span>
            </div>
        </form>
    }
}
