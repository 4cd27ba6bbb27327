//! One module per page.

mod inbox;
mod login;
mod settings;
mod thread;
mod ticket;
mod tickets;

pub use inbox::InboxPage;
pub use login::LoginPage;
pub use settings::SettingsPage;
pub use ticket::TicketPage;
pub use tickets::TicketsPage;

use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <section class="card">
            <h1>"Page not found"</h1>
            <p>
                "Nothing lives at this address. " <A href="/app/tickets">"Go to the tickets"</A>
            </p>
        </section>
    }
}
