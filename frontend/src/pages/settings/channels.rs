//! Settings → Notification channels: the channels (each enabled or disabled, deleted after
//! confirming, its latest deliveries on demand), the form for a new one, and a new webhook's
//! signing secret, shown once.

use api_types::{
    ChannelKind, CreateNotificationChannelRequest, NotificationChannel, UpdateNotificationChannelRequest,
};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use uuid::Uuid;

use super::{confirmed, error_line, listing, shown_once};
use crate::api::ApiFailure;
use crate::components::{Choice, ChoiceSelect};
use crate::logic::format_time;
use crate::state::use_api;
use crate::task::spawn_report;

#[component]
pub fn Channels() -> impl IntoView {
    let api = use_api();
    let list = LocalResource::new(move || {
        let api = api.clone();
        async move { api.channels().await }
    });
    let reload = Callback::new(move |()| list.refetch());
    let secret = RwSignal::new(None::<String>);
    let failure = RwSignal::new(None::<ApiFailure>);
    let created = Callback::new(move |new_secret: Option<String>| {
        secret.set(new_secret);
        list.refetch();
    });
    view! {
        <section class="card" aria-labelledby="channels-title">
            <h2 id="channels-title">"Notification channels"</h2>
            {listing(list, "channels", "No channels yet.", move |channels| {
                view! {
                    <ul class="plain">
                        {channels
                            .into_iter()
                            .map(|c| view! { <ChannelRow channel=c failure=failure reload=reload/> })
                            .collect_view()}
                    </ul>
                }
            })}
            <NewChannel failure=failure created=created/>
            {shown_once(secret, "Signing secret, shown this once:", None)}
            {error_line(failure)}
        </section>
    }
}

/// A channel: its kind, target and events, whether it is enabled, and its buttons.
#[component]
fn ChannelRow(
    channel: NotificationChannel,
    failure: RwSignal<Option<ApiFailure>>,
    reload: Callback<()>,
) -> impl IntoView {
    let api = use_api();
    let NotificationChannel { id, kind, url, address, events, enabled, .. } = channel;
    let events: Vec<&str> = events.iter().map(|e| e.as_str()).collect();
    let target = url.or(address).unwrap_or_default();
    let a = api.clone();
    let toggle = move |_| {
        let req = UpdateNotificationChannelRequest {
            enabled: Some(!enabled),
            ..UpdateNotificationChannelRequest::default()
        };
        let api = a.clone();
        spawn_report(failure, async move { api.update_channel(id, &req).await }, move |_| reload.run(()));
    };
    let question = format!("Delete the channel to {target}?");
    let remove = move |_| {
        if !confirmed(&question) {
            return;
        }
        let api = api.clone();
        spawn_report(failure, async move { api.delete_channel(id).await }, move |()| reload.run(()));
    };
    let show = RwSignal::new(false);
    view! {
        <li class="channel">
            <strong>{kind.as_str()}</strong>
            " " {target} " · " {events.join(", ")}
            <span class="rule-state">{if enabled { " · enabled" } else { " · disabled" }}</span>
            " "
            <button type="button" class="secondary small toggle" on:click=toggle>
                {if enabled { "Disable" } else { "Enable" }}
            </button>
            " "
            <button type="button" class="secondary small delete" on:click=remove>
                "Delete"
            </button>
            " "
            <button
                type="button"
                class="secondary small"
                aria-expanded=move || show.get().to_string()
                on:click=move |_| show.update(|s| *s = !*s)
            >
                "Deliveries"
            </button>
            {move || show.get().then(|| view! { <ChannelDeliveries id=id/> })}
        </li>
    }
}

/// The kinds the form offers, in its order.
const KINDS: &[ChannelKind] = &[ChannelKind::Webhook, ChannelKind::Slack, ChannelKind::Email];

impl Choice for ChannelKind {
    fn value(self) -> &'static str {
        self.as_str()
    }
    fn label(self) -> &'static str {
        match self {
            ChannelKind::Webhook => "Webhook",
            ChannelKind::Slack => "Slack",
            ChannelKind::Email => "E-mail (the team's mailbox)",
        }
    }
}

/// The form for a new channel: its kind and one input, the URL of a webhook or Slack channel or
/// the mailbox of an e-mail one. `created` gets the new channel's signing secret, if any.
#[component]
fn NewChannel(failure: RwSignal<Option<ApiFailure>>, created: Callback<Option<String>>) -> impl IntoView {
    let api = use_api();
    let url = RwSignal::new(String::new());
    let kind = RwSignal::new(ChannelKind::Webhook);
    let email = move || kind.get() == ChannelKind::Email;
    let create = move |ev: SubmitEvent| {
        ev.prevent_default();
        let kind = kind.get_untracked();
        let (target_url, address) = match kind {
            ChannelKind::Email => (None, Some(url.get_untracked().trim().to_owned())),
            _ => (Some(url.get_untracked()), None),
        };
        let req = CreateNotificationChannelRequest {
            kind,
            url: target_url,
            address,
            events: None,
            secret: None,
            enabled: None,
        };
        let api = api.clone();
        spawn_report(failure, async move { api.create_channel(&req).await }, move |c| {
            failure.try_set(None);
            url.try_set(String::new());
            created.run(c.secret);
        });
    };
    view! {
        <form on:submit=create class="inline-form">
            <label for="ch-kind">"Kind"</label>
            <ChoiceSelect id="ch-kind" choices=KINDS value=kind/>
            <label for="ch-url">{move || if email() { "Address" } else { "URL" }}</label>
            <input
                id="ch-url"
                type=move || if email() { "email" } else { "url" }
                placeholder=move || if email() { "team@acme.test" } else { "https://hooks.example.com/ticketd" }
                required
                bind:value=url
            />
            <button type="submit">"Create channel"</button>
        </form>
    }
}

/// The latest deliveries to one channel: status, attempts and the last error.
#[component]
fn ChannelDeliveries(id: Uuid) -> impl IntoView {
    let api = use_api();
    let list = LocalResource::new(move || {
        let api = api.clone();
        async move { api.channel_deliveries(id).await }
    });
    listing(list, "deliveries", "No deliveries yet.", |deliveries| {
        view! {
            <ul class="deliveries">
                {deliveries
                    .into_iter()
                    .map(|d| {
                        let code = d.last_status_code.map(|c| format!(" · HTTP {c}")).unwrap_or_default();
                        view! {
                            <li>
                                {d.event_type.as_str()} " · " <strong>{d.status.as_str()}</strong> " · " {d.attempts} " attempt(s)" {code}
                                {d.last_attempt_at.map(|at| format!(" · last {}", format_time(at)))}
                                {d.last_error.map(|e| view! { <br/><span class="error">{e}</span> })}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
    })
}
