//! The thread under a ticket: who asked (shown and editable), the replies, internal notes
//! and customer mails (styled apart, each reply with its delivery state), and the composer
//! ("Reply to customer" / "Internal note", Ctrl+Enter sends). New comments and delivery
//! changes arrive live; the draft of each ticket survives them, re-renders of the page and
//! failed sends (it is kept per ticket until it is sent).

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Duration;

use api_types::{Comment, CommentKind, NewComment, Requester, Ticket, UpdateTicketRequest};
use leptos::ev::{KeyboardEvent, SubmitEvent};
use leptos::prelude::*;
use uuid::Uuid;

use crate::api::{ApiFailure, AuthorizedApi};
use crate::components::{Failure, Loading};
use crate::live::LiveComments;
use crate::logic::format_time;
use crate::state::{now, use_api};
use crate::task::spawn_report;
use crate::thread_logic::{
    author_label, belongs_to, comment_class, comment_kind_label, delivery_label, is_send_shortcut,
    relative_time, requester_from_form, requester_line, send_problem, sent_message, upsert_comment,
};

/// A draft: what kind, what text.
#[derive(Debug, Clone, PartialEq)]
struct Draft {
    kind: CommentKind,
    body: String,
}

thread_local! {
    /// Drafts by ticket reference, for as long as the app runs.
    static DRAFTS: RefCell<HashMap<String, Draft>> = RefCell::new(HashMap::new());
}

fn load_draft(reference: &str) -> Option<Draft> {
    DRAFTS.with(|d| d.borrow().get(reference).cloned())
}

fn keep_draft(reference: &str, draft: Draft) {
    DRAFTS.with(|d| {
        let mut drafts = d.borrow_mut();
        if draft.body.is_empty() {
            drafts.remove(reference);
        } else {
            drafts.insert(reference.to_owned(), draft);
        }
    });
}

/// The requester, the thread and the composer of one ticket. `on_activity` refetches the
/// activity log (a comment or a requester change adds to it).
#[component]
pub fn ThreadSection(ticket: Ticket, on_activity: impl Fn() + Copy + 'static) -> impl IntoView {
    let api = use_api();
    let requester = RwSignal::new(ticket.requester.clone());
    let reference = ticket.reference.clone();
    let ticket_id = ticket.id;

    // The thread: fetched once, then merged with what arrives live.
    let thread = RwSignal::new(None::<Result<Vec<Comment>, ApiFailure>>);
    let live = expect_context::<LiveComments>();
    let applied = StoredValue::new(live.last_seq_untracked());
    let (a, r) = (api.clone(), reference.clone());
    leptos::task::spawn_local(async move {
        let fetched = a.comments(&r).await;
        thread.try_set(Some(fetched));
        // Anything that arrived while loading is applied now (the effect below skipped it).
        live.0.with_untracked(|list| merge_live(thread, list, 0, ticket_id));
    });
    Effect::new(move |_| {
        live.0.with(|list| {
            let from = applied.get_value();
            merge_live(thread, list, from, ticket_id);
            applied.set_value(list.last().map_or(from, |(n, _)| *n));
        });
    });

    // A clock for "5 min ago" and "Sent 12:03".
    let clock = RwSignal::new(now());
    if let Ok(handle) = set_interval_with_handle(move || clock.set(now()), Duration::from_secs(30)) {
        on_cleanup(move || handle.clear());
    }

    let on_posted = move |comment: Comment| {
        thread.update(|t| {
            if let Some(Ok(list)) = t {
                upsert_comment(list, comment);
            }
        });
        on_activity();
    };

    view! {
        <section class="thread-section" aria-labelledby="thread-title">
            <RequesterBox reference=reference.clone() requester=requester api=api.clone() on_activity=on_activity/>
            <h2 id="thread-title">
                "Thread"
                {move || {
                    thread
                        .with(|t| match t {
                            Some(Ok(list)) => Some(list.len()),
                            _ => None,
                        })
                        .map(|n| view! { <span class="muted count">" (" {n} ")"</span> })
                }}
            </h2>
            {move || match thread.get() {
                None => view! { <Loading what="the thread"/> }.into_any(),
                Some(Err(f)) => view! { <Failure failure=f/> }.into_any(),
                Some(Ok(list)) if list.is_empty() => {
                    view! {
                        <p class="empty" id="thread-empty">
                            "No replies or notes yet. Answer the customer or leave a note for the team below."
                        </p>
                    }
                        .into_any()
                }
                Some(Ok(list)) => {
                    view! {
                        <ol class="thread" id="thread">
                            {list.into_iter().map(|c| view! { <CommentItem comment=c clock=clock/> }).collect_view()}
                        </ol>
                    }
                        .into_any()
                }
            }}
            <Composer reference=reference requester=requester api=api on_posted=on_posted/>
        </section>
    }
}

/// Applies the live comments numbered after `from` that belong to this ticket.
fn merge_live(
    thread: RwSignal<Option<Result<Vec<Comment>, ApiFailure>>>,
    live: &[(u64, Comment)],
    from: u64,
    ticket_id: Uuid,
) {
    let fresh: Vec<Comment> =
        live.iter().filter(|(n, c)| *n > from && belongs_to(c, ticket_id)).map(|(_, c)| c.clone()).collect();
    if fresh.is_empty() {
        return;
    }
    thread.update(|t| {
        if let Some(Ok(list)) = t {
            for c in fresh {
                upsert_comment(list, c);
            }
        }
    });
}

#[component]
fn CommentItem(comment: Comment, clock: RwSignal<chrono::DateTime<chrono::Utc>>) -> impl IntoView {
    let created = comment.created_at;
    let author = author_label(&comment);
    let email = comment.author.email.clone().filter(|e| !author.contains(e.as_str()));
    let delivery = comment.delivery.clone();
    view! {
        <li class=comment_class(comment.kind) data-kind=comment.kind.as_str() id=format!("comment-{}", comment.id)>
            <div class="comment-meta">
                <span class="comment-kind">{comment_kind_label(comment.kind)}</span>
                <span class="comment-author">{author}</span>
                {email.map(|e| view! { <span class="muted">"<" {e} ">"</span> })}
                <time datetime=created.to_rfc3339() title=format_time(created)>
                    {move || relative_time(created, clock.get())}
                </time>
            </div>
            <p class="comment-body">{comment.body}</p>
            {delivery
                .map(|d| {
                    let title = format!("{} attempt(s)", d.attempts);
                    let label = Memo::new(move |_| delivery_label(&d, clock.get()));
                    view! {
                        <p class="delivery" data-state=move || label.get().state title=title role="status">
                            {move || label.get().text}
                        </p>
                    }
                })}
        </li>
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Post {
    Idle,
    Sending,
    Done(String),
    Failed(ApiFailure),
}

impl From<ApiFailure> for Post {
    fn from(f: ApiFailure) -> Self {
        Post::Failed(f)
    }
}

#[component]
fn Composer(
    reference: String,
    requester: RwSignal<Option<Requester>>,
    api: AuthorizedApi,
    on_posted: impl Fn(Comment) + Copy + 'static,
) -> impl IntoView {
    let has_email = move || requester.with(|r| r.as_ref().and_then(|r| r.email.as_ref()).is_some());
    let initial = load_draft(&reference).unwrap_or_else(|| Draft {
        kind: if has_email() { CommentKind::Reply } else { CommentKind::Note },
        body: String::new(),
    });
    let kind = RwSignal::new(initial.kind);
    let body = RwSignal::new(initial.body);
    let post = RwSignal::new(Post::Idle);
    let r = reference.clone();
    Effect::new(move |_| keep_draft(&r, Draft { kind: kind.get(), body: body.get() }));

    let send = move || {
        if send_problem(&body.get_untracked(), post.get_untracked() == Post::Sending).is_some() {
            return;
        }
        let request = NewComment { kind: kind.get_untracked(), body: body.get_untracked() };
        post.set(Post::Sending);
        let (api, reference) = (api.clone(), reference.clone());
        let (sent_to, sent) = (reference.clone(), request.clone());
        spawn_report(post, async move { api.post_comment(&sent_to, &sent).await }, move |comment| {
            let message = sent_message(comment.kind, requester.get_untracked().as_ref());
            // Only the text that was sent is cleared: typing during the request stays.
            if body.try_get_untracked().as_deref() == Some(request.body.as_str()) {
                body.try_set(String::new());
            }
            keep_draft(&reference, Draft { kind: request.kind, body: String::new() });
            post.try_set(Post::Done(message));
            on_posted(comment);
        });
    };
    let send_for_submit = send.clone();
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        send_for_submit();
    };
    let keydown = move |ev: KeyboardEvent| {
        if is_send_shortcut(
            &ev.key(),
            ev.ctrl_key(),
            ev.meta_key(),
            ev.shift_key(),
            ev.alt_key(),
            ev.is_composing(),
        ) {
            ev.prevent_default();
            send();
        }
    };
    let problem = move || send_problem(&body.get(), post.get() == Post::Sending);
    let is_note = move || kind.get() == CommentKind::Note;

    view! {
        <form
            class="composer"
            class:composer-note=is_note
            id="composer"
            on:submit=submit
            aria-label="Add to the thread"
            novalidate
        >
            <fieldset class="composer-kind">
                <legend class="visually-hidden">"Kind of message"</legend>
                <label class="kind-option" class:selected=move || !is_note()>
                    <input
                        type="radio"
                        name="composer-kind"
                        id="kind-reply"
                        value="reply"
                        prop:checked=move || !is_note()
                        on:change=move |_| kind.set(CommentKind::Reply)
                    />
                    "Reply to customer"
                </label>
                <label class="kind-option" class:selected=is_note>
                    <input
                        type="radio"
                        name="composer-kind"
                        id="kind-note"
                        value="note"
                        prop:checked=is_note
                        on:change=move |_| kind.set(CommentKind::Note)
                    />
                    "Internal note"
                </label>
            </fieldset>
            <label for="composer-body" class="composer-label">
                {move || {
                    if is_note() {
                        "Internal note: only your team sees it".to_owned()
                    } else {
                        match requester.get().and_then(|r| r.email) {
                            Some(e) => format!("Reply to {e} (sent by e-mail)"),
                            None => "Reply to the customer (sent by e-mail)".to_owned(),
                        }
                    }
                }}
            </label>
            <textarea
                id="composer-body"
                rows="5"
                bind:value=body
                on:keydown=keydown
                aria-describedby="composer-hint"
                placeholder=move || if is_note() { "Write a note for the team…" } else { "Write your reply…" }
            ></textarea>
            {move || {
                (!is_note() && !has_email())
                    .then(|| {
                        view! {
                            <p class="notice" id="composer-no-email">
                                "This ticket has no requester e-mail: add one above to reply by e-mail."
                            </p>
                        }
                    })
            }}
            <div class="inline composer-actions">
                <button type="submit" id="composer-send" disabled=move || problem().is_some()>
                    {move || match (post.get() == Post::Sending, is_note()) {
                        (true, _) => "Sending…",
                        (false, true) => "Add note",
                        (false, false) => "Send reply",
                    }}
                </button>
                <span class="hint" id="composer-hint">"Ctrl+Enter to send"</span>
                <span id="composer-state" role="status" aria-live="polite">
                    {move || match post.get() {
                        Post::Done(m) => Some(view! { <span class="ok">{m}</span> }.into_any()),
                        Post::Sending => Some(view! { <span class="muted">"Sending…"</span> }.into_any()),
                        _ => None,
                    }}
                </span>
            </div>
            {move || match post.get() {
                Post::Failed(f) => {
                    Some(
                        view! {
                            <p class="error" role="alert" id="composer-error">
                                "Not sent: " {f.message()} " Your draft is kept."
                            </p>
                        },
                    )
                }
                _ => None,
            }}
        </form>
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Save {
    Idle,
    Saving,
    Saved,
    Failed(ApiFailure),
}

impl From<ApiFailure> for Save {
    fn from(f: ApiFailure) -> Self {
        Save::Failed(f)
    }
}

/// The requester, with an edit form (PATCH `{requester}`; a bad address is shown on the field).
#[component]
fn RequesterBox(
    reference: String,
    requester: RwSignal<Option<Requester>>,
    api: AuthorizedApi,
    on_activity: impl Fn() + Copy + 'static,
) -> impl IntoView {
    let editing = RwSignal::new(false);
    let save = RwSignal::new(Save::Idle);
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let start = move |_| {
        let r = requester.get_untracked();
        name.set(r.as_ref().and_then(|r| r.name.clone()).unwrap_or_default());
        email.set(r.and_then(|r| r.email).unwrap_or_default());
        save.set(Save::Idle);
        editing.set(true);
    };
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let patch = UpdateTicketRequest {
            requester: Some(requester_from_form(&name.get_untracked(), &email.get_untracked())),
            ..Default::default()
        };
        save.set(Save::Saving);
        let (api, reference) = (api.clone(), reference.clone());
        spawn_report(save, async move { api.update_ticket(&reference, &patch).await }, move |ticket| {
            requester.try_set(ticket.requester);
            save.try_set(Save::Saved);
            editing.try_set(false);
            on_activity();
        });
    };
    let field_error = move |field: &'static str| {
        move || match save.get() {
            Save::Failed(f) => f.field(field).map(|m| view! { <p class="field-error" role="alert">{m}</p> }),
            _ => None,
        }
    };

    // Both parts stay in the page (the form hidden until "Edit requester"), so the handlers
    // are attached once.
    view! {
        <div class="requester" id="requester">
            <p class="inline requester-line" hidden=move || editing.get()>
                <span class="muted">"Requester"</span>
                <strong id="fact-requester">{move || requester_line(requester.get().as_ref())}</strong>
                <button type="button" class="secondary small" id="req-edit" on:click=start>
                    "Edit requester"
                </button>
                <span role="status" aria-live="polite">
                    {move || (save.get() == Save::Saved).then(|| view! { <span class="ok">"Saved"</span> })}
                </span>
            </p>
            <form
                class="requester-form"
                on:submit=submit
                aria-label="Edit requester"
                novalidate
                hidden=move || !editing.get()
            >
                <div class="edit-grid">
                    <div class="field">
                        <label for="req-name">"Requester name"</label>
                        <input id="req-name" type="text" autocomplete="off" bind:value=name/>
                        {field_error("requester.name")}
                    </div>
                    <div class="field">
                        <label for="req-email">"Requester e-mail"</label>
                        <input id="req-email" type="email" autocomplete="off" bind:value=email/>
                        {field_error("requester.email")}
                    </div>
                </div>
                <div class="inline">
                    <button type="submit" id="req-save" disabled=move || save.get() == Save::Saving>
                        "Save requester"
                    </button>
                    <button type="button" class="secondary" on:click=move |_| editing.set(false)>
                        "Cancel"
                    </button>
                    {move || match save.get() {
                        Save::Failed(f) => Some(view! { <span class="error" role="alert">"Not saved: " {f.detail}</span> }),
                        _ => None,
                    }}
                </div>
            </form>
        </div>
    }
}
