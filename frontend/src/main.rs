//! The ticketd admin app: a Leptos client-side-rendered app served by `ticketd` at `/app/`.
//! Operators sign in, work the ticket list, read each ticket beside its chat transcript,
//! convert live chats into tickets, and (admins) manage tokens, agents, buttons and
//! notification channels. Pure logic lives in [`logic`] and is unit-tested natively.

mod api;
mod components;
mod live;
mod logic;
mod pages;
mod queue_logic;
mod sla;
mod sla_badge;
mod state;
mod task;
mod thread_logic;

use leptos::prelude::*;
use leptos_router::components::{A, Redirect, Route, Router, Routes};
use leptos_router::path;

use crate::components::RequireSession;
use crate::pages::{InboxPage, LoginPage, NotFound, SettingsPage, TicketPage, TicketsPage};
use crate::state::{AppState, use_app};

#[component]
fn App() -> impl IntoView {
    let app = AppState::load();
    provide_context(app);
    live::connect(app);
    view! {
        <Router base="/app">
            <a class="skip-link" href="#main">"Skip to content"</a>
            <Header/>
            <main id="main">
                <Routes fallback=|| view! { <NotFound/> }>
                    <Route path=path!("/") view=|| view! { <Redirect path="/tickets"/> }/>
                    <Route path=path!("/login") view=LoginPage/>
                    <Route path=path!("/tickets") view=|| view! { <RequireSession><TicketsPage/></RequireSession> }/>
                    <Route
                        path=path!("/tickets/:reference")
                        view=|| view! { <RequireSession><TicketPage/></RequireSession> }
                    />
                    <Route path=path!("/inbox") view=|| view! { <RequireSession><InboxPage/></RequireSession> }/>
                    <Route path=path!("/settings") view=|| view! { <RequireSession><SettingsPage/></RequireSession> }/>
                </Routes>
            </main>
        </Router>
    }
}

#[component]
fn Header() -> impl IntoView {
    let app = use_app();
    let live = expect_context::<live::LiveStatus>();
    view! {
        <header class="topbar">
            <span class="brand">"ticketd"</span>
            {move || {
                app.session
                    .get()
                    .map(|s| {
                        let admin = s.is_admin();
                        view! {
                            <nav aria-label="Main">
                                <A href="/app/tickets">"Tickets"</A>
                                <A href="/app/inbox">"Inbox"</A>
                                <A href="/app/settings">{if admin { "Settings" } else { "Account" }}</A>
                            </nav>
                            <span class="live" id="live-status" data-live=move || live.0.get().to_string()>
                                {move || if live.0.get() { "● live" } else { "○ offline" }}
                            </span>
                            <span class="who">
                                {s.user.name.clone()} " · " {s.workspace.name.clone()} " (" {s.role.as_str()} ")"
                            </span>
                            <button class="secondary" on:click=move |_| app.sign_out(None)>"Sign out"</button>
                        }
                    })
            }}
        </header>
    }
}

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}
