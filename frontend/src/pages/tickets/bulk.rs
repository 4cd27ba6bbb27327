//! The list's action bar: how many tickets are selected, "select all N matching", and a
//! status / priority / assignee applied to all of them (by ids at once, or by a job whose
//! progress it follows for "all matching").

use std::time::Duration;

use api_types::{Member, Priority, Status};
use leptos::prelude::*;
use uuid::Uuid;

use crate::api::{AuthorizedApi, BulkAnswer};
use crate::logic::{TicketFilter, priority_label, status_label};
use crate::queue_logic::{
    BulkChoice, Picked, bulk_done_message, bulk_request, job_progress, select_all_offer, selection_summary,
};
use crate::state::{use_api, use_app};

/// How often a running job's progress is read.
const POLL: Duration = Duration::from_millis(500);

#[component]
pub fn ActionBar(
    picked: RwSignal<Picked>,
    filter: Memo<TicketFilter>,
    /// The references on the page shown.
    #[prop(into)]
    page: Signal<Vec<String>>,
    /// The list's `meta.total` and `meta.total_exact`.
    #[prop(into)]
    total: Signal<(u64, bool)>,
    #[prop(into)] members: Signal<Vec<Member>>,
) -> impl IntoView {
    let app = use_app();
    let api = use_api();
    let choice = RwSignal::new(BulkChoice::default());
    let busy = RwSignal::new(false);
    // Outlives the selection: the outcome stays on screen after the tickets left the list.
    let outcome = RwSignal::new(None::<String>);

    let apply = move |_| {
        let set = match choice.get_untracked().to_set() {
            Ok(set) => set,
            Err(message) => return outcome.set(Some(message)),
        };
        let Some(request) = bulk_request(&picked.get_untracked(), &filter.get_untracked(), set) else {
            return;
        };
        busy.set(true);
        outcome.set(Some("Applying…".into()));
        let api = api.clone();
        leptos::task::spawn_local(async move {
            match api.bulk_update(&request).await {
                Ok(BulkAnswer::Done(done)) => {
                    outcome.try_set(Some(bulk_done_message(&done)));
                    finish(app, picked, choice, busy);
                }
                Ok(BulkAnswer::Job(job)) => {
                    outcome.try_set(Some(job_progress(&job)));
                    follow(api, job.id, outcome, move || finish(app, picked, choice, busy));
                }
                Err(failure) => {
                    outcome.try_set(Some(failure.message()));
                    busy.try_set(false);
                }
            }
        });
    };

    view! {
        <div class="action-bar" id="action-bar" role="region" aria-label="Bulk actions">
            {move || {
                let p = picked.get();
                if p.is_empty() {
                    return None;
                }
                let (n, exact) = total.get();
                let offer = select_all_offer(&p, &page.get(), n, exact);
                Some(view! {
                    <strong id="selected-count">{selection_summary(&p, n, exact)}</strong>
                    {offer.map(|text| view! {
                        <button class="link" id="select-all-matching" on:click=move |_| picked.set(Picked::AllMatching)>
                            {text}
                        </button>
                    })}
                    <label for="bulk-status">"Status"</label>
                    <select id="bulk-status" on:change=move |ev| choice.update(|c| c.status = event_target_value(&ev))>
                        <option value="">"Leave as is"</option>
                        {Status::ALL.iter().map(|s| view! { <option value=s.as_str()>{status_label(*s)}</option> }).collect_view()}
                    </select>
                    <label for="bulk-priority">"Priority"</label>
                    <select id="bulk-priority" on:change=move |ev| choice.update(|c| c.priority = event_target_value(&ev))>
                        <option value="">"Leave as is"</option>
                        {Priority::ALL.iter().rev().map(|p| view! { <option value=p.as_str()>{priority_label(*p)}</option> }).collect_view()}
                    </select>
                    <label for="bulk-assignee">"Assignee"</label>
                    <select id="bulk-assignee" on:change=move |ev| choice.update(|c| c.assignee = event_target_value(&ev))>
                        <option value="">"Leave as is"</option>
                        <option value="none">"Nobody (unassign)"</option>
                        {members.get().into_iter().map(|m| view! { <option value=m.id.to_string()>{m.name}</option> }).collect_view()}
                    </select>
                    <button id="bulk-apply" disabled=move || busy.get() on:click=apply.clone()>"Apply"</button>
                    <button class="secondary" on:click=move |_| picked.set(Picked::None)>"Clear selection"</button>
                })
            }}
            <p class="hint" id="bulk-outcome" role="status" aria-live="polite">{move || outcome.get()}</p>
        </div>
    }
}

/// After a bulk edit: nothing selected, the choice reset, and the list (and view counts)
/// read again.
fn finish(
    app: crate::state::AppState,
    picked: RwSignal<Picked>,
    choice: RwSignal<BulkChoice>,
    busy: RwSignal<bool>,
) {
    picked.try_set(Picked::None);
    choice.try_set(BulkChoice::default());
    busy.try_set(false);
    app.live.try_update(|n| *n += 1);
}

/// Reads the job every [`POLL`] until it finishes, showing its progress; then `done`.
fn follow(
    api: AuthorizedApi,
    id: Uuid,
    outcome: RwSignal<Option<String>>,
    done: impl Fn() + Clone + 'static,
) {
    set_timeout(
        move || {
            leptos::task::spawn_local(async move {
                match api.job(id).await {
                    Ok(job) => {
                        // The page was left: stop following.
                        if outcome.try_set(Some(job_progress(&job))).is_some() {
                            return;
                        }
                        if job.status.is_finished() {
                            done();
                        } else {
                            follow(api, id, outcome, done);
                        }
                    }
                    Err(failure) => {
                        outcome.try_set(Some(failure.message()));
                        done();
                    }
                }
            });
        },
        POLL,
    );
}
