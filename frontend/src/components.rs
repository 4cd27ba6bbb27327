//! Pieces shared by the pages: the sign-in guard and form, the transcript, badges and the
//! loading / error states.

use api_types::{Capability, Message, Priority, Scope, Status, Vertical};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use crate::api::{self, ApiFailure};
use crate::logic::{
    format_time, message_class, message_role_label, priority_badge_class, priority_label, status_badge_class,
    status_label, tool_call_summary,
};
use crate::state::{Session, use_app};

/// Shows its children to a signed-in user, and the sign-in form (at the same URL, so a
/// deep link opens once signed in) to anyone else.
#[component]
pub fn RequireSession(children: ChildrenFn) -> impl IntoView {
    let app = use_app();
    let signed_in = Memo::new(move |_| app.session.with(Option::is_some));
    move || if signed_in.get() { children().into_any() } else { view! { <LoginForm/> }.into_any() }
}

#[component]
pub fn LoginForm() -> impl IntoView {
    let app = use_app();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        error.set(None);
        let (e, p) = (email.get_untracked(), password.get_untracked());
        leptos::task::spawn_local(async move {
            match api::login(e.trim(), &p).await {
                Ok(login) => app.sign_in(Session::from_login(login)),
                Err(f) => {
                    error.try_set(Some(f.message()));
                }
            }
            busy.try_set(false);
        });
    };
    view! {
        <form class="card login" on:submit=submit aria-labelledby="login-title">
            <h1 id="login-title">"Sign in"</h1>
            {move || app.flash.get().map(|m| view! { <p class="notice" role="status" id="flash">{m}</p> })}
            <label for="email">"E-mail"</label>
            <input id="email" name="email" type="email" autocomplete="username" required autofocus bind:value=email/>
            <label for="password">"Password"</label>
            <input
                id="password"
                name="password"
                type="password"
                autocomplete="current-password"
                required
                bind:value=password
            />
            <button type="submit" disabled=move || busy.get()>
                {move || if busy.get() { "Signing in…" } else { "Sign in" }}
            </button>
            {move || error.get().map(|m| view! { <p class="error" role="alert">{m}</p> })}
        </form>
    }
}

#[component]
pub fn StatusBadge(status: Status) -> impl IntoView {
    view! { <span class=status_badge_class(status)>{status_label(status)}</span> }
}

#[component]
pub fn PriorityBadge(priority: Priority) -> impl IntoView {
    view! { <span class=priority_badge_class(priority)>{priority_label(priority)}</span> }
}

#[component]
pub fn Loading(#[prop(into)] what: String) -> impl IntoView {
    view! { <p class="loading" role="status" aria-live="polite">"Loading " {what} "…"</p> }
}

#[component]
pub fn Failure(failure: ApiFailure) -> impl IntoView {
    view! { <p class="error" role="alert">{failure.message()}</p> }
}

/// A chat thread, each role styled apart.
#[component]
pub fn Transcript(messages: Vec<Message>) -> impl IntoView {
    if messages.is_empty() {
        return view! { <p class="empty">"This conversation has no messages yet."</p> }.into_any();
    }
    view! {
        <ol class="transcript">
            {messages
                .into_iter()
                .map(|m| {
                    view! {
                        <li class=message_class(&m.role) data-role=m.role.clone()>
                            <div class="msg-meta">
                                <span class="msg-role">{message_role_label(&m.role)}</span>
                                <time datetime=m.created_at.to_rfc3339()>{format_time(m.created_at)}</time>
                            </div>
                            {match (m.role == "tool").then(|| tool_call_summary(&m.content)).flatten() {
                                Some(t) => view! {
                                    <div class="msg-content tool-call">
                                        <p class="tool-headline"><strong>{t.headline}</strong></p>
                                        {t.subject.map(|s| view! { <p>"Subject: " {s}</p> })}
                                        {t.priority.map(|p| view! { <p>"Priority: " {p}</p> })}
                                        <details>
                                            <summary>"Raw JSON"</summary>
                                            <pre>{t.pretty}</pre>
                                        </details>
                                    </div>
                                }
                                    .into_any(),
                                None => view! { <p class="msg-content">{m.content}</p> }.into_any(),
                            }}
                        </li>
                    }
                })
                .collect_view()}
        </ol>
    }
    .into_any()
}

/// A value a `<select>` offers: its form value and its label.
pub trait Choice: Copy + PartialEq + Send + Sync + 'static {
    fn value(self) -> &'static str;
    fn label(self) -> &'static str;
}

impl Choice for Status {
    fn value(self) -> &'static str {
        self.as_str()
    }
    fn label(self) -> &'static str {
        status_label(self)
    }
}

impl Choice for Priority {
    fn value(self) -> &'static str {
        self.as_str()
    }
    fn label(self) -> &'static str {
        priority_label(self)
    }
}

/// A closed set of names shown as they are (`as_str`), as value and label alike.
macro_rules! named_choice {
    ($($t:ty),+) => {
        $(impl Choice for $t {
            fn value(self) -> &'static str {
                self.as_str()
            }
            fn label(self) -> &'static str {
                self.as_str()
            }
        })+
    };
}

named_choice!(Capability, Scope, Vertical);

/// A `<select>` over `choices`, in that order, bound to `value`.
#[component]
pub fn ChoiceSelect<T: Choice>(
    #[prop(into)] id: String,
    choices: &'static [T],
    value: RwSignal<T>,
) -> impl IntoView {
    view! {
        <select
            id=id
            on:change=move |ev| {
                let raw = event_target_value(&ev);
                if let Some(c) = choices.iter().find(|c| c.value() == raw) {
                    value.set(*c);
                }
            }
        >
            {choices
                .iter()
                .map(|c| {
                    let c = *c;
                    view! { <option value=c.value() prop:selected=move || value.get() == c>{c.label()}</option> }
                })
                .collect_view()}
        </select>
    }
}

/// A `<fieldset>` of checkboxes over `choices`, in that order, bound to the ticked `value`s.
#[component]
pub fn ChoiceChecks<T: Choice>(
    #[prop(into)] legend: String,
    choices: &'static [T],
    value: RwSignal<Vec<T>>,
) -> impl IntoView {
    view! {
        <fieldset>
            <legend>{legend}</legend>
            {choices
                .iter()
                .map(|c| {
                    let c = *c;
                    view! {
                        <label class="check">
                            <input
                                type="checkbox"
                                value=c.value()
                                prop:checked=move || value.get().contains(&c)
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    value.update(|v| {
                                        v.retain(|x| *x != c);
                                        if on {
                                            v.push(c);
                                        }
                                    });
                                }
                            />
                            {c.label()}
                        </label>
                    }
                })
                .collect_view()}
        </fieldset>
    }
}
