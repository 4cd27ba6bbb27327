//! The ticket table: a row per ticket with a box to tick it; the arrow keys move between
//! rows and Enter opens the focused row's ticket.

use api_types::{Member, Ticket};
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use wasm_bindgen::JsCast;

use super::TicketList;
use crate::components::{Failure, Loading, PriorityBadge, StatusBadge};
use crate::logic::{format_age, format_time};
use crate::queue_logic::Picked;
use crate::sla_badge::SlaRowBadge;
use crate::state::now;

#[component]
pub fn TicketTable(
    tickets: TicketList,
    picked: RwSignal<Picked>,
    /// The references on the page shown.
    page: Signal<Vec<String>>,
    members: Signal<Vec<Member>>,
) -> impl IntoView {
    let navigate = use_navigate();
    let open = Callback::new(move |href: String| {
        navigate(href.trim_start_matches("/app"), NavigateOptions::default())
    });
    move || match tickets.get() {
        None => view! { <Loading what="tickets"/> }.into_any(),
        Some(Err(f)) => view! { <Failure failure=f/> }.into_any(),
        Some(Ok(list)) if list.data.is_empty() => {
            view! { <p class="empty" id="no-tickets">"No tickets match these filters."</p> }.into_any()
        }
        Some(Ok(list)) => {
            let members = members.get();
            let now = now();
            view! {
                <table class="ticket-table">
                    <TableHead picked=picked page=page/>
                    <tbody>
                        {list
                            .data
                            .into_iter()
                            .map(|t| {
                                let assignee = assignee_name(&members, t.assigned_to_user_id);
                                view! { <TicketRow ticket=t assignee=assignee picked=picked open=open now=now/> }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            }
            .into_any()
        }
    }
}

/// The column headers, and a box that ticks every ticket on the page.
#[component]
fn TableHead(picked: RwSignal<Picked>, page: Signal<Vec<String>>) -> impl IntoView {
    view! {
        <thead>
            <tr>
                <th scope="col" class="pick">
                    <input
                        type="checkbox"
                        id="pick-page"
                        aria-label="Select every ticket on this page"
                        prop:checked=move || picked.get().covers(&page.get())
                        on:change=move |ev| {
                            picked.set(if event_target_checked(&ev) { Picked::Some(page.get()) } else { Picked::None })
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
    }
}

#[component]
fn TicketRow(
    ticket: Ticket,
    assignee: String,
    picked: RwSignal<Picked>,
    /// Opens an `/app/…` address.
    open: Callback<String>,
    now: DateTime<Utc>,
) -> impl IntoView {
    let sla_ticket = ticket.clone();
    let Ticket { reference, subject, status, priority, created_at, .. } = ticket;
    let href = format!("/app/tickets/{reference}");
    let key_href = href.clone();
    let pick_label = format!("Select {reference}");
    let (pick_ref, toggle_ref, row_ref) = (reference.clone(), reference.clone(), reference.clone());
    view! {
        <tr
            data-reference=row_ref
            tabindex="0"
            on:keydown=move |ev| on_row_key(&ev, &key_href, |h| open.run(h.to_owned()))
        >
            <td class="pick">
                <input
                    type="checkbox"
                    aria-label=pick_label
                    prop:checked=move || picked.get().has(&pick_ref)
                    on:change=move |_| picked.update(|p| *p = p.toggle(&toggle_ref))
                />
            </td>
            <td>
                <A href=href.clone() attr:class="ref">
                    {reference}
                </A>
            </td>
            <td class="subject">
                <A href=href attr:class="subject-link" attr:tabindex="-1">
                    {subject}
                </A>
            </td>
            <td>
                <StatusBadge status=status/>
            </td>
            <td>
                <PriorityBadge priority=priority/>
            </td>
            <td>{assignee}</td>
            <td title=format_time(created_at)>{format_age(created_at, now)}</td>
            <td class="sla-cell">
                <SlaRowBadge ticket=sla_ticket/>
            </td>
        </tr>
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
