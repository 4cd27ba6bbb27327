//! `/app/tickets`: the ticket list. Every filter, the sort and the page live in the URL
//! query, so links, reloads and back/forward give the same list. Beside it the saved views;
//! above it the filter bar and, once rows are ticked, the bulk action bar.

mod bulk;
mod export;
mod filters;
mod pager;
mod table;
mod views;

use api_types::{List, Member, Ticket};
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_location, use_navigate};

use crate::api::ApiFailure;
use crate::logic::{TicketFilter, format_total};
use crate::queue_logic::Picked;
use crate::state::{use_api, use_app};
use bulk::ActionBar;
use filters::FilterBar;
use pager::Pager;
use table::TicketTable;
use views::ViewsSidebar;

/// One page of the list, for the filter in the URL.
type TicketList = LocalResource<Result<List<Ticket>, ApiFailure>>;

#[component]
pub fn TicketsPage() -> impl IntoView {
    let location = use_location();
    let filter = Memo::new(move |_| TicketFilter::from_query(&location.search.get()));
    let navigate = use_navigate();
    let go = Callback::new(move |f: TicketFilter| {
        navigate(&format!("/tickets{}", f.to_query()), NavigateOptions::default())
    });
    let picked = picks_of(filter);
    let tickets = ticket_list(filter);
    let members = members();
    let page = Signal::derive(move || {
        tickets
            .get()
            .and_then(Result::ok)
            .map(|l| l.data.iter().map(|t| t.reference.clone()).collect())
            .unwrap_or_default()
    });
    let total = Signal::derive(move || {
        tickets.get().and_then(Result::ok).map(|l| (l.meta.total, l.meta.total_exact)).unwrap_or_default()
    });

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
                <FilterBar filter=filter go=go members=members/>
                <ActionBar picked=picked filter=filter page=page total=total members=members/>
                <TicketTable tickets=tickets picked=picked page=page members=members/>
                <Pager filter=filter tickets=tickets go=go/>
            </section>
        </div>
    }
}

/// The tickets for `filter`, fetched again on every live ticket event. Their order is kept
/// for `j`/`k` on the ticket page.
fn ticket_list(filter: Memo<TicketFilter>) -> TicketList {
    let app = use_app();
    let api = use_api();
    let tickets = LocalResource::new(move || {
        let query = filter.get().to_api_query();
        app.live.track();
        let api = api.clone();
        async move { api.list_tickets(&query).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(l)) = tickets.get() {
            app.last_list.set(l.data.iter().map(|t| t.reference.clone()).collect());
        }
    });
    tickets
}

/// The workspace's members (for the assignee column and pickers); none until they load.
fn members() -> Signal<Vec<Member>> {
    let api = use_api();
    let members = LocalResource::new(move || {
        let api = api.clone();
        async move { api.users().await }
    });
    Signal::derive(move || members.get().and_then(Result::ok).map(|l| l.data).unwrap_or_default())
}

/// The ticked rows; a new filter or page starts afresh.
fn picks_of(filter: Memo<TicketFilter>) -> RwSignal<Picked> {
    let picked = RwSignal::new(Picked::None);
    Effect::new(move |_| {
        filter.track();
        picked.set(Picked::None);
    });
    picked
}
