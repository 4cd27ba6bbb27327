//! The saved views beside the list: each with its count, a click opens it; the current
//! filter can be saved as a new view (shared with the workspace by admins).

use api_types::CreateViewRequest;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::Failure;
use crate::logic::TicketFilter;
use crate::queue_logic::{view_count, view_href, view_query};
use crate::state::{use_api, use_app};

#[component]
pub fn ViewsSidebar(filter: Memo<TicketFilter>) -> impl IntoView {
    let app = use_app();
    let api = use_api();
    let admin = app.session.get_untracked().is_some_and(|s| s.is_admin());
    let me = app.session.get_untracked().map(|s| s.user.id);
    let list_api = api.clone();
    let views = LocalResource::new(move || {
        app.live.track();
        let api = list_api.clone();
        async move { api.views().await }
    });
    let reload = move || app.live.update(|n| *n += 1);

    let name = RwSignal::new(String::new());
    let shared = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let save_api = api.clone();
    let save = move |ev: SubmitEvent| {
        ev.prevent_default();
        let body = CreateViewRequest {
            name: name.get_untracked().trim().to_owned(),
            query: view_query(&filter.get_untracked()),
            shared: shared.get_untracked(),
        };
        let api = save_api.clone();
        leptos::task::spawn_local(async move {
            match api.create_view(&body).await {
                Ok(_) => {
                    name.try_set(String::new());
                    problem.try_set(None);
                    reload();
                }
                Err(f) => {
                    problem.try_set(Some(
                        f.field("name").or_else(|| f.field("query")).unwrap_or_else(|| f.message()),
                    ));
                }
            }
        });
    };

    view! {
        <aside class="views" aria-label="Saved views">
            <h2>"Views"</h2>
            {move || match views.get() {
                None => None,
                Some(Err(f)) => Some(view! { <Failure failure=f/> }.into_any()),
                Some(Ok(list)) if list.data.is_empty() => {
                    Some(view! { <p class="hint">"No saved views yet: filter the list, then save it here."</p> }.into_any())
                }
                Some(Ok(list)) => {
                    let current = view_query(&filter.get());
                    let api = api.clone();
                    Some(view! {
                        <ul id="view-list">
                            {list.data.into_iter().map(|v| {
                                let href = format!("/app{}", view_href(&v.query));
                                let count = view_count(v.total, v.total_exact);
                                let active = v.query == current;
                                let deletable = admin || (!v.shared && v.owner_id == me);
                                let api = api.clone();
                                let id = v.id;
                                let label = format!("Delete the view {}", v.name);
                                let name = v.name.clone();
                                let shared = v.shared;
                                view! {
                                    <li class:active=active data-view=v.name>
                                        <A href=href attr:class="view-link">
                                            <span class="view-name">{name}</span>
                                            {shared.then(|| view! { <span class="muted">" · shared"</span> })}
                                            <span class="view-count">{count}</span>
                                        </A>
                                        {deletable.then(|| view! {
                                            <button class="link danger" aria-label=label.clone() title=label on:click=move |_| {
                                                let api = api.clone();
                                                leptos::task::spawn_local(async move {
                                                    if api.delete_view(id).await.is_ok() {
                                                        reload();
                                                    }
                                                });
                                            }>"×"</button>
                                        })}
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any())
                }
            }}
            <form class="save-view" on:submit=save>
                <label for="view-name">"Save this filter as a view"</label>
                <input id="view-name" maxlength="80" placeholder="e.g. Breached, mine" bind:value=name required/>
                {admin.then(|| view! {
                    <label class="check"><input type="checkbox" id="view-shared" bind:checked=shared/>" Shared with the team"</label>
                })}
                <button type="submit" class="secondary" id="save-view">"Save view"</button>
                {move || problem.get().map(|p| view! { <p class="error" role="alert">{p}</p> })}
            </form>
        </aside>
    }
}
