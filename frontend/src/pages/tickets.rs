//! `/app/tickets`: the ticket list. Every filter, the sort and the page live in the URL
//! query, so links, reloads and back/forward give the same list.

use api_types::{Member, Priority};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::components::A;
use leptos_router::hooks::{use_location, use_navigate};

use crate::components::{Failure, Loading, PriorityBadge, StatusBadge};
use crate::logic::{
    AssigneeFilter, PER_PAGE, SORTS, StatusFilter, TicketFilter, format_age, format_time, format_total,
    page_count, priority_label, q_problem,
};
use crate::state::{now, use_api, use_app};

#[component]
pub fn TicketsPage() -> impl IntoView {
    let app = use_app();
    let api = use_api();
    let location = use_location();
    let navigate = use_navigate();
    let filter = Memo::new(move |_| TicketFilter::from_query(&location.search.get()));
    let go =
        move |f: TicketFilter| navigate(&format!("/tickets{}", f.to_query()), NavigateOptions::default());

    let list_api = api.clone();
    let tickets = LocalResource::new(move || {
        let query = filter.get().to_api_query();
        app.live.track();
        let api = list_api.clone();
        async move { api.list_tickets(&query).await }
    });
    // Kept for `j`/`k` on the ticket page.
    Effect::new(move |_| {
        if let Some(Ok(l)) = tickets.get() {
            app.last_list.set(l.data.iter().map(|t| t.reference.clone()).collect());
        }
    });
    let members = LocalResource::new(move || {
        let api = api.clone();
        async move { api.users().await }
    });
    let member_list = move || members.get().and_then(Result::ok).map(|l| l.data).unwrap_or_default();

    let q_input = RwSignal::new(filter.get_untracked().q);
    Effect::new(move |_| q_input.set(filter.get().q));

    let go_status = go.clone();
    let go_priority = go.clone();
    let go_assignee = go.clone();
    let go_sort = go.clone();
    let go_search = go.clone();
    let go_clear = go.clone();
    let go_prev = go.clone();
    let go_next = go;

    let on_search = move |ev: SubmitEvent| {
        ev.prevent_default();
        let q = q_input.get_untracked();
        if q_problem(&q).is_none() {
            go_search(TicketFilter { q: q.trim().to_owned(), page: 1, ..filter.get_untracked() });
        }
    };

    view! {
        <section class="tickets">
            <div class="page-head">
                <h1>"Tickets"</h1>
                <p class="total" id="total" aria-live="polite">
                    {move || {
                        tickets
                            .get()
                            .and_then(Result::ok)
                            .map(|l| format_total(l.meta.total, l.meta.total_exact))
                    }}
                </p>
            </div>
            <div class="filters" role="search">
                <div class="field">
                    <label for="f-status">"Status"</label>
                    <select
                        id="f-status"
                        on:change=move |ev| {
                            let status = StatusFilter::from_param(&event_target_value(&ev));
                            go_status(TicketFilter { status, page: 1, ..filter.get_untracked() });
                        }
                    >
                        {StatusFilter::options()
                            .into_iter()
                            .map(|(value, label)| {
                                view! {
                                    <option value=value prop:selected=move || filter.get().status.as_param() == value>
                                        {label}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="f-priority">"Priority"</label>
                    <select
                        id="f-priority"
                        on:change=move |ev| {
                            let priority = event_target_value(&ev).parse().ok();
                            go_priority(TicketFilter { priority, page: 1, ..filter.get_untracked() });
                        }
                    >
                        <option value="" prop:selected=move || filter.get().priority.is_none()>"Any"</option>
                        {Priority::ALL
                            .iter()
                            .rev()
                            .map(|p| {
                                let p = *p;
                                view! {
                                    <option value=p.as_str() prop:selected=move || filter.get().priority == Some(p)>
                                        {priority_label(p)}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="f-assignee">"Assignee"</label>
                    <select
                        id="f-assignee"
                        on:change=move |ev| {
                            let assignee = AssigneeFilter::from_param(&event_target_value(&ev));
                            go_assignee(TicketFilter { assignee, page: 1, ..filter.get_untracked() });
                        }
                    >
                        <option value="" prop:selected=move || filter.get().assignee == AssigneeFilter::Anyone>
                            "Anyone"
                        </option>
                        <option value="me" prop:selected=move || filter.get().assignee == AssigneeFilter::Me>
                            "Me"
                        </option>
                        <option value="none" prop:selected=move || filter.get().assignee == AssigneeFilter::Nobody>
                            "Nobody (unassigned)"
                        </option>
                        {move || {
                            member_list()
                                .into_iter()
                                .map(|m| {
                                    let id = m.id;
                                    view! {
                                        <option
                                            value=id.to_string()
                                            prop:selected=move || filter.get().assignee == AssigneeFilter::User(id)
                                        >
                                            {m.name}
                                        </option>
                                    }
                                })
                                .collect_view()
                        }}
                    </select>
                </div>
                <div class="field">
                    <label for="f-sort">"Sort"</label>
                    <select
                        id="f-sort"
                        on:change=move |ev| {
                            let mut sort = event_target_value(&ev);
                            if sort == SORTS[0].0 {
                                sort.clear();
                            }
                            go_sort(TicketFilter { sort, page: 1, ..filter.get_untracked() });
                        }
                    >
                        {SORTS
                            .iter()
                            .enumerate()
                            .map(|(i, (value, label))| {
                                let value = *value;
                                view! {
                                    <option
                                        value=value
                                        prop:selected=move || {
                                            let sort = filter.get().sort;
                                            sort == value || (i == 0 && sort.is_empty())
                                        }
                                    >
                                        {*label}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </div>
                <form class="field search" on:submit=on_search>
                    <label for="f-q">"Search"</label>
                    <div class="inline">
                        <input id="f-q" type="search" placeholder="Subject, body or reference" bind:value=q_input/>
                        <button type="submit">"Search"</button>
                    </div>
                    {move || q_problem(&q_input.get()).map(|m| view! { <p class="hint">{m}</p> })}
                </form>
                <div class="field">
                    <span class="label-spacer"></span>
                    <button
                        class="secondary"
                        on:click=move |_| go_clear(TicketFilter { page: 1, ..Default::default() })
                    >
                        "Reset filters"
                    </button>
                </div>
            </div>
            {move || match tickets.get() {
                None => view! { <Loading what="tickets"/> }.into_any(),
                Some(Err(f)) => view! { <Failure failure=f/> }.into_any(),
                Some(Ok(list)) if list.data.is_empty() => {
                    view! { <p class="empty" id="no-tickets">"No tickets match these filters."</p> }.into_any()
                }
                Some(Ok(list)) => {
                    let members = member_list();
                    let now = now();
                    view! {
                        <table class="ticket-table">
                            <thead>
                                <tr>
                                    <th scope="col">"Reference"</th>
                                    <th scope="col">"Subject"</th>
                                    <th scope="col">"Status"</th>
                                    <th scope="col">"Priority"</th>
                                    <th scope="col">"Assignee"</th>
                                    <th scope="col">"Age"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {list
                                    .data
                                    .into_iter()
                                    .map(|t| {
                                        let assignee = assignee_name(&members, t.assigned_to_user_id);
                                        let href = format!("/app/tickets/{}", t.reference);
                                        let reference = t.reference.clone();
                                        view! {
                                            <tr data-reference=t.reference>
                                                <td>
                                                    <A href=href attr:class="ref">
                                                        {reference}
                                                    </A>
                                                </td>
                                                <td class="subject">{t.subject}</td>
                                                <td>
                                                    <StatusBadge status=t.status/>
                                                </td>
                                                <td>
                                                    <PriorityBadge priority=t.priority/>
                                                </td>
                                                <td>{assignee}</td>
                                                <td title=format_time(t.created_at)>{format_age(t.created_at, now)}</td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    }
                        .into_any()
                }
            }}
            <nav class="pager" aria-label="Pages">
                {move || {
                    let f = filter.get();
                    let meta = tickets.get().and_then(Result::ok).map(|l| (l.meta, l.data.len() as u64));
                    let pages = meta.as_ref().and_then(|(m, _)| page_count(m.total, m.total_exact, PER_PAGE));
                    let has_next = match (&meta, pages) {
                        (_, Some(n)) => f.page < n,
                        (Some((_, len)), None) => *len == PER_PAGE,
                        (None, None) => false,
                    };
                    let label = match pages {
                        Some(n) => format!("Page {} of {n}", f.page),
                        None => format!("Page {}", f.page),
                    };
                    let (prev, next) = (f.with_page(f.page - 1), f.with_page(f.page + 1));
                    let go_prev = go_prev.clone();
                    let go_next = go_next.clone();
                    view! {
                        <button class="secondary" disabled=f.page <= 1 on:click=move |_| go_prev(prev.clone())>
                            "← Previous"
                        </button>
                        <span>{label}</span>
                        <button class="secondary" disabled=!has_next on:click=move |_| go_next(next.clone())>
                            "Next →"
                        </button>
                    }
                }}
            </nav>
        </section>
    }
}

fn assignee_name(members: &[Member], id: Option<uuid::Uuid>) -> String {
    match id {
        None => "—".into(),
        Some(id) => {
            members.iter().find(|m| m.id == id).map(|m| m.name.clone()).unwrap_or_else(|| "someone".into())
        }
    }
}
