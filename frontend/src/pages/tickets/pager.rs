//! The pager under the list: previous, "Page 2 of 7" (or "Page 2" when the total is an
//! estimate), next.

use leptos::prelude::*;

use super::TicketList;
use crate::logic::{PER_PAGE, TicketFilter, page_count};

#[component]
pub fn Pager(filter: Memo<TicketFilter>, tickets: TicketList, go: Callback<TicketFilter>) -> impl IntoView {
    view! {
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
    }
}
