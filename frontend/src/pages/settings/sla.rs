//! The SLA section of Settings (admins): minutes per priority to first response and to
//! resolution, and optional business hours (a time zone and a week of intervals). The
//! server's 422 is shown beside each named field.

use api_types::{BusinessHoursDoc, Priority, SlaPolicyDoc, TargetDoc};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use crate::api::ApiFailure;
use crate::components::{Failure, Loading};
use crate::logic::priority_label;
use crate::sla::{day_label, week_from_texts, week_texts};
use crate::state::use_api;

fn field_error(failure: RwSignal<Option<ApiFailure>>, field: String) -> impl IntoView {
    move || {
        failure
            .get()
            .and_then(|f| {
                // The field itself or any part of it (`business_hours.week.mon.0`).
                let prefix = format!("{field}.");
                let messages: Vec<String> = f
                    .errors
                    .iter()
                    .filter(|(k, _)| **k == field || k.starts_with(&prefix))
                    .flat_map(|(_, m)| m.clone())
                    .collect();
                (!messages.is_empty()).then(|| messages.join(" "))
            })
            .map(|m| view! { <p class="error field-error" data-field=field.clone()>{m}</p> })
    }
}

#[component]
pub fn SlaSettings() -> impl IntoView {
    let api = use_api();
    let a = api.clone();
    let policy = LocalResource::new(move || {
        let api = a.clone();
        async move { api.sla_policy().await }
    });
    view! {
        <section class="card" aria-labelledby="sla-title">
            <h2 id="sla-title">"SLA targets"</h2>
            {move || match policy.get() {
                None => view! { <Loading what="SLA targets"/> }.into_any(),
                Some(Err(f)) => view! { <Failure failure=f/> }.into_any(),
                Some(Ok(doc)) => view! { <SlaForm doc=doc/> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn SlaForm(doc: SlaPolicyDoc) -> impl IntoView {
    let api = use_api();
    let targets: Vec<(Priority, RwSignal<String>, RwSignal<String>)> = Priority::ALL
        .iter()
        .rev()
        .map(|p| {
            let t = doc.targets.get(*p);
            (
                *p,
                RwSignal::new(t.first_response_minutes.to_string()),
                RwSignal::new(t.resolution_minutes.to_string()),
            )
        })
        .collect();
    let hours_on = RwSignal::new(doc.business_hours.is_some());
    let timezone = RwSignal::new(
        doc.business_hours.as_ref().map_or_else(|| "Europe/Berlin".to_owned(), |h| h.timezone.clone()),
    );
    let texts = doc.business_hours.as_ref().map(|h| week_texts(&h.week)).unwrap_or_else(|| {
        let work = "09:00-17:00".to_owned();
        [work.clone(), work.clone(), work.clone(), work.clone(), work, String::new(), String::new()]
    });
    let days: Vec<RwSignal<String>> = texts.into_iter().map(RwSignal::new).collect();
    let failure = RwSignal::new(None::<ApiFailure>);
    let saved = RwSignal::new(false);
    let busy = RwSignal::new(false);

    let (t2, d2) = (targets.clone(), days.clone());
    let save = move |ev: SubmitEvent| {
        ev.prevent_default();
        // A number the server cannot read as minutes goes as 0, which it names as out of range.
        let minutes = |s: RwSignal<String>| s.get_untracked().trim().parse::<u32>().unwrap_or(0);
        let target = |p: Priority| {
            let (_, fr, res) = t2.iter().find(|(q, _, _)| *q == p).copied().unwrap_or((
                p,
                RwSignal::new(String::new()),
                RwSignal::new(String::new()),
            ));
            TargetDoc { first_response_minutes: minutes(fr), resolution_minutes: minutes(res) }
        };
        let mut doc = SlaPolicyDoc::default();
        doc.targets.urgent = target(Priority::Urgent);
        doc.targets.high = target(Priority::High);
        doc.targets.normal = target(Priority::Normal);
        doc.targets.low = target(Priority::Low);
        doc.business_hours = hours_on.get_untracked().then(|| {
            let texts: [String; 7] = std::array::from_fn(|i| d2[i].get_untracked());
            BusinessHoursDoc { timezone: timezone.get_untracked(), week: week_from_texts(&texts) }
        });
        busy.set(true);
        saved.set(false);
        let api = api.clone();
        leptos::task::spawn_local(async move {
            match api.put_sla_policy(&doc).await {
                Ok(_) => {
                    failure.try_set(None);
                    saved.try_set(true);
                }
                Err(f) => {
                    failure.try_set(Some(f));
                }
            }
            busy.try_set(false);
        });
    };

    view! {
        <form class="sla-form" on:submit=save>
            <p class="hint">
                "Minutes from a ticket's creation (or its reopening, for resolution). New targets apply to tickets created or recomputed from now on."
            </p>
            <table class="sla-targets">
                <thead>
                    <tr>
                        <th scope="col">"Priority"</th>
                        <th scope="col">"First response (min)"</th>
                        <th scope="col">"Resolution (min)"</th>
                    </tr>
                </thead>
                <tbody>
                    {targets
                        .into_iter()
                        .map(|(p, fr, res)| {
                            let fr_field = format!("targets.{}.first_response_minutes", p.as_str());
                            let res_field = format!("targets.{}.resolution_minutes", p.as_str());
                            view! {
                                <tr>
                                    <th scope="row">{priority_label(p)}</th>
                                    <td>
                                        <input id=format!("sla-{}-first", p.as_str()) type="number" min="1" max="525600" aria-label=format!("{} first response minutes", priority_label(p)) bind:value=fr/>
                                        {field_error(failure, fr_field)}
                                    </td>
                                    <td>
                                        <input id=format!("sla-{}-resolution", p.as_str()) type="number" min="1" max="525600" aria-label=format!("{} resolution minutes", priority_label(p)) bind:value=res/>
                                        {field_error(failure, res_field)}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
            <label class="check">
                <input id="sla-hours-on" type="checkbox" bind:checked=hours_on/>
                " Count business hours only"
            </label>
            <Show when=move || hours_on.get()>
                <div class="sla-hours">
                    <label for="sla-timezone">"Time zone (IANA)"</label>
                    <input id="sla-timezone" placeholder="Europe/Berlin" bind:value=timezone/>
                    {field_error(failure, "business_hours.timezone".to_owned())}
                    <p class="hint">"Per day: intervals like 09:00-12:00, 13:00-17:30; empty for a day off."</p>
                    {days
                        .clone()
                        .into_iter()
                        .enumerate()
                        .map(|(i, text)| {
                            let name = api_types::DAY_NAMES[i];
                            view! {
                                <div class="field">
                                    <label for=format!("sla-day-{name}")>{day_label(i)}</label>
                                    <input id=format!("sla-day-{name}") bind:value=text/>
                                    {field_error(failure, format!("business_hours.week.{name}"))}
                                </div>
                            }
                        })
                        .collect_view()}
                    {move || {
                        failure
                            .get()
                            .and_then(|f| f.errors.get("business_hours.week").map(|m| m.join(" ")))
                            .map(|m| view! { <p class="error" data-field="business_hours.week">{m}</p> })
                    }}
                </div>
            </Show>
            <button type="submit" disabled=move || busy.get()>"Save SLA targets"</button>
            {move || saved.get().then(|| view! { <span class="save-state" role="status">"Saved"</span> })}
            {move || {
                failure
                    .get()
                    .filter(|f| f.errors.is_empty())
                    .map(|f| view! { <p class="error" role="alert">{f.message()}</p> })
            }}
        </form>
    }
}
