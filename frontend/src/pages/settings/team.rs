//! Settings → Team (admins: add members, change roles, remove members, each confirmed) and
//! the password form every signed-in user has (after a change the app returns to login).

use api_types::{ChangePasswordRequest, CreateUserRequest, Member, Role, UpdateUserRequest};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use super::{confirmed, error_line};
use crate::api::ApiFailure;
use crate::components::{Failure, Loading};
use crate::state::{use_api, use_app};
use crate::task::spawn_report;

/// The message the login page shows after a password change.
pub const PASSWORD_CHANGED: &str = "Your password was changed: sign in with the new one";

/// The members, with a role picker and a remove button each, and the form to add one.
#[component]
pub fn Team() -> impl IntoView {
    let api = use_api();
    let a = api.clone();
    let list = LocalResource::new(move || {
        let api = a.clone();
        async move { api.users().await }
    });
    let failure = RwSignal::new(None::<ApiFailure>);
    let changed = Callback::new(move |result: Result<(), ApiFailure>| {
        failure.try_set(result.err());
        list.refetch();
    });
    view! {
        <section class="card" aria-labelledby="team-title">
            <h2 id="team-title">"Team"</h2>
            {move || match list.get() {
                None => view! { <Loading what="members"/> }.into_any(),
                Some(Err(f)) => view! { <Failure failure=f/> }.into_any(),
                Some(Ok(l)) => {
                    view! {
                        <ul class="plain" id="team-members">
                            {l.data.into_iter().map(|m| view! { <MemberRow member=m changed=changed/> }).collect_view()}
                        </ul>
                    }
                        .into_any()
                }
            }}
            {error_line(failure)}
            <AddMember added=Callback::new(move |()| list.refetch())/>
        </section>
    }
}

fn role_from(raw: &str) -> Role {
    if raw == "admin" { Role::Admin } else { Role::Operator }
}

#[component]
fn MemberRow(member: Member, changed: Callback<Result<(), ApiFailure>>) -> impl IntoView {
    let api = use_api();
    let Member { id, name, email, role } = member;
    let select_id = format!("role-{id}");
    let a = api.clone();
    let who = name.clone();
    let set_role = move |ev: leptos::ev::Event| {
        let new = role_from(&event_target_value(&ev));
        if new == role || !confirmed(&format!("Make {who} {}?", new.as_str())) {
            changed.run(Ok(()));
            return;
        }
        let api = a.clone();
        leptos::task::spawn_local(async move {
            changed.run(api.update_user(id, &UpdateUserRequest { role: new }).await.map(|_| ()));
        });
    };
    let who = name.clone();
    let remove = move |_| {
        if !confirmed(&format!("Remove {who} from the workspace? Their tickets become unassigned.")) {
            return;
        }
        let api = api.clone();
        leptos::task::spawn_local(async move { changed.run(api.delete_user(id).await) });
    };
    view! {
        <li class="member">
            <strong>{name}</strong> " <" {email} "> "
            <label for=select_id.clone() class="inline">"Role"</label>
            <select id=select_id on:change=set_role>
                <option value="operator" selected=role == Role::Operator>"operator"</option>
                <option value="admin" selected=role == Role::Admin>"admin"</option>
            </select>
            " "
            <button class="secondary small" on:click=remove>"Remove"</button>
        </li>
    }
}

#[component]
fn AddMember(added: Callback<()>) -> impl IntoView {
    let api = use_api();
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let role = RwSignal::new("operator".to_owned());
    let failure = RwSignal::new(None::<ApiFailure>);
    let done = RwSignal::new(None::<String>);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let req = CreateUserRequest {
            name: name.get_untracked(),
            email: email.get_untracked(),
            role: role_from(&role.get_untracked()),
            password: password.get_untracked(),
        };
        // The last "… was added." goes: this answer brings its own, or a failure.
        done.set(None);
        let api = api.clone();
        spawn_report(failure, async move { api.create_user(&req).await }, move |m| {
            done.try_set(Some(format!("{} was added.", m.name)));
            failure.try_set(None);
            for field in [name, email, password] {
                field.try_set(String::new());
            }
            added.run(());
        });
    };
    let field_error = move |field: &'static str| {
        move || failure.get().and_then(|f| f.field(field)).map(|m| view! { <span class="error">{m}</span> })
    };
    view! {
        <form on:submit=submit id="add-member">
            <h3>"Add a member"</h3>
            <label for="m-name">"Name"</label>
            <input id="m-name" required bind:value=name/>
            {field_error("name")}
            <label for="m-email">"E-mail"</label>
            <input id="m-email" type="email" required bind:value=email/>
            {field_error("email")}
            <label for="m-role">"Role"</label>
            <select id="m-role" on:change=move |ev| role.set(event_target_value(&ev))>
                <option value="operator">"operator"</option>
                <option value="admin">"admin"</option>
            </select>
            <label for="m-password">"Initial password (12+ characters)"</label>
            <input id="m-password" type="password" minlength="12" required bind:value=password autocomplete="new-password"/>
            {field_error("password")}
            <button type="submit">"Add member"</button>
            {move || done.get().map(|m| view! { <p class="notice" role="status">{m}</p> })}
            {move || failure.get().filter(|f| f.errors.is_empty()).map(|f| view! { <p class="error" role="alert">{f.message()}</p> })}
        </form>
    }
}

/// Change your own password; on success every session ends, this one too: back to login.
#[component]
pub fn ChangePassword() -> impl IntoView {
    let api = use_api();
    let app = use_app();
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let failure = RwSignal::new(None::<ApiFailure>);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let req = ChangePasswordRequest {
            current_password: current.get_untracked(),
            new_password: new.get_untracked(),
        };
        let api = api.clone();
        spawn_report(failure, async move { api.change_password(&req).await }, move |()| {
            app.sign_out(Some(PASSWORD_CHANGED))
        });
    };
    view! {
        <section class="card" aria-labelledby="password-title">
            <h2 id="password-title">"Your password"</h2>
            <form on:submit=submit id="change-password">
                <label for="p-current">"Current password"</label>
                <input id="p-current" type="password" required bind:value=current autocomplete="current-password"/>
                <label for="p-new">"New password (12+ characters)"</label>
                <input id="p-new" type="password" minlength="12" required bind:value=new autocomplete="new-password"/>
                <button type="submit">"Change password"</button>
                <p class="muted">"Every session ends, this one too: you sign in again with the new password."</p>
            </form>
            {error_line(failure)}
        </section>
    }
}
