use leptos::prelude::*;
use leptos_router::components::Redirect;

use crate::components::LoginForm;
use crate::state::use_app;

/// `/app/login`: the form, or on to the tickets once signed in.
#[component]
pub fn LoginPage() -> impl IntoView {
    let app = use_app();
    move || {
        if app.session.with(Option::is_some) {
            view! { <Redirect path="/tickets"/> }.into_any()
        } else {
            view! { <LoginForm/> }.into_any()
        }
    }
}
