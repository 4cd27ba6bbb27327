//! SLA badges: one per list row (the earliest running clock, or the outcome) and both clocks
//! on the ticket page. The wording comes from [`crate::sla`].

use api_types::Ticket;
use leptos::prelude::*;

use crate::logic::format_time;
use crate::sla::{SlaBadgeText, row_badge, ticket_badges};
use crate::state::now;

fn badge(label: &'static str, b: SlaBadgeText, due: Option<chrono::DateTime<chrono::Utc>>) -> impl IntoView {
    let title = match due {
        Some(due) => format!("{label} due {}", format_time(due)),
        None => label.to_owned(),
    };
    view! {
        <span class=b.tone.class() title=title data-sla=label>
            {b.text}
        </span>
    }
}

/// The badge of a list row.
#[component]
pub fn SlaRowBadge(ticket: Ticket) -> impl IntoView {
    row_badge(&ticket, ticket.first_responded_at, now()).map(|(label, b)| {
        let due =
            if label == "First response" { ticket.first_response_due_at } else { ticket.resolution_due_at };
        badge(label, b, due)
    })
}

/// Both clocks, for the ticket page.
#[component]
pub fn SlaClocks(ticket: Ticket) -> impl IntoView {
    let (fr, res) = ticket_badges(&ticket, ticket.first_responded_at, now());
    if fr.is_none() && res.is_none() {
        return None;
    }
    let line = |label: &'static str, b: Option<SlaBadgeText>, due| {
        b.map(|b| {
            view! {
                <div class="sla-clock">
                    <dt>{label}</dt>
                    <dd>{badge(label, b, due)} {due.map(|d| view! { <span class="muted">" · " {format_time(d)}</span> })}</dd>
                </div>
            }
        })
    };
    Some(view! {
        <dl class="sla-clocks" id="sla-clocks">
            {line("First response", fr, ticket.first_response_due_at)}
            {line("Resolution", res, ticket.resolution_due_at)}
        </dl>
    })
}
