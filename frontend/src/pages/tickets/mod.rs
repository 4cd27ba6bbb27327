//! `/app/tickets`: the ticket list. Every filter, the sort and the page live in the URL
//! query, so links, reloads and back/forward give the same list. Beside it the saved views;
//! above it the filter bar and, once rows are ticked, the bulk action bar.

mod bulk;
mod export;
mod filters;
mod views;

use api_types::Member;
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::components::A;
use leptos_router::hooks::{use_location, use_navigate};
use wasm_bindgen::JsCast;

use crate::components::{Failure, Loading, PriorityBadge, StatusBadge};
use crate::logic::{PER_PAGE, TicketFilter, format_age, format_time, format_total, page_count};
use crate::queue_logic::Picked;
use crate::state::{now, use_api, use_app};
use bulk::ActionBar;
use filters::FilterBar;
use views::ViewsSidebar;

#[component]
pub fn TicketsPage() -> impl IntoView {
    let app = use_app();
    let api = use_api();
    let location = use_location();
    let navigate = use_navigate();
    let filter = Memo::new(move |_| TicketFilter::from_query(&location.search.get()));
    let go = Callback::new(move |f: TicketFilter| {
        navigate(&format!("/tickets{}", f.to_query()), NavigateOptions::default())
    });
    // Ticked rows; a new filter or page starts afresh.
    let picked = RwSignal::new(Picked::None);
    Effect::new(move |_| {
        filter.track();
        picked.set(Picked::None);
    });

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
    let page_refs = move || {
        tickets
            .get()
            .and_then(Result::ok)
            .map(|l| l.data.iter().map(|t| t.reference.clone()).collect())
            .unwrap_or_default()
    };
    let list_total = move || {
        tickets.get().and_then(Result::ok).map(|l| (l.meta.total, l.meta.total_exact)).unwrap_or_default()
    };

    let open_navigate = use_navigate();
    let open = move |href: &str| open_navigate(href.trim_start_matches("/app"), NavigateOptions::default());

    view! {
        <div class="list-layout">
        <ViewsSidebar filter=filter/>
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
            <FilterBar filter=filter go=go members=Signal::derive(member_list)/>
            <ActionBar
                picked=picked
                filter=filter
                page=Signal::derive(page_refs)
                total=Signal::derive(list_total)
                members=Signal::derive(member_list)
            />
            {move || match tickets.get() {
                None => view! { <Loading what="tickets"/> }.into_any(),
                Some(Err(f)) => view! { <Failure failure=f/> }.into_any(),
                Some(Ok(list)) if list.data.is_empty() => {
                    view! { <p class="empty" id="no-tickets">"No tickets match these filters."</p> }.into_any()
                }
                Some(Ok(list)) => {
                    let members = member_list();
                    let open = open.clone();
                    let now = now();
                    view! {
                        <table class="ticket-table">
                            <thead>
                                <tr>
                                    <th scope="col" class="pick">
                                        <input
                                            type="checkbox"
                                            id="pick-page"
                                            aria-label="Select every ticket on this page"
                                            prop:checked=move || picked.get().covers(&page_refs())
                                            on:change=move |ev| {
                                                picked.set(if event_target_checked(&ev) { Picked::Some(page_refs()) } else { Picked::None })
                                            }
                                        />
                                    </th>
                                    <th scope="col">"Reference"</th>
                                    <th scope="col">"Subject"</th>
                                    <th scope="col">"Status"</th>
                                    <th scope="col">"Priority"</th>
                                    <th scope="col">"Assignee"</th>
                                    <th scope="col">"Age"</th>
                                    <th scope="col">"SLA"</th>
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
                                        let key_href = href.clone();
                                        let open = open.clone();
                                        let sla_ticket = t.clone();
                                        let pick_ref = t.reference.clone();
                                        view! {
                                            <tr
                                                data-reference=t.reference
                                                tabindex="0"
                                                on:keydown=move |ev| on_row_key(&ev, &key_href, |h| open(h))
                                            >
                                                <td class="pick">
                                                    <input
                                                        type="checkbox"
                                                        aria-label=format!("Select {pick_ref}")
                                                        prop:checked={
                                                            let pick_ref = pick_ref.clone();
                                                            move || picked.get().has(&pick_ref)
                                                        }
                                                        on:change={
                                                            let pick_ref = pick_ref.clone();
                                                            move |_| picked.update(|p| *p = p.toggle(&pick_ref))
                                                        }
                                                    />
                                                </td>
                                                <td>
                                                    <A href=href.clone() attr:class="ref">
                                                        {reference}
                                                    </A>
                                                </td>
                                                <td class="subject">
                                                    <A href=href attr:class="subject-link" attr:tabindex="-1">
                                                        {t.subject}
                                                    </A>
                                                </td>
                                                <td>
                                                    <StatusBadge status=t.status/>
                                                </td>
                                                <td>
                                                    <PriorityBadge priority=t.priority/>
                                                </td>
                                                <td>{assignee}</td>
                                                <td title=format_time(t.created_at)>{format_age(t.created_at, now)}</td>
                                                <td class="sla-cell">
                                                    <crate::sla_badge::SlaRowBadge ticket=sla_ticket/>
                                                </td>
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
                    view! {
                        <button class="secondary" disabled=f.page <= 1 on:click=move |_| go.run(prev.clone())>
                            "← Previous"
                        </button>
                        <span>{label}</span>
                        <button class="secondary" disabled=!has_next on:click=move |_| go.run(next.clone())>
                            "Next →"
                        </button>
                    }
                }}
            </nav>
        </section>
        </div>
    }
}

/// Arrow keys move the focus between the list's rows; Enter opens the focused row's ticket.
fn on_row_key(ev: &web_sys::KeyboardEvent, href: &str, open: impl Fn(&str)) {
    // Keys typed into a row's checkbox are the checkbox's.
    let on_row = ev.target().zip(ev.current_target()).is_some_and(|(t, c)| t == c);
    let Some(row) = ev.current_target().and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok()) else {
        return;
    };
    let next = match ev.key().as_str() {
        "ArrowDown" => row.next_element_sibling(),
        "ArrowUp" => row.previous_element_sibling(),
        "Enter" if on_row => {
            ev.prevent_default();
            open(href);
            return;
        }
        _ => return,
    };
    ev.prevent_default();
    if let Some(next) = next.and_then(|n| n.dyn_into::<web_sys::HtmlElement>().ok()) {
        let _ = next.focus();
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
