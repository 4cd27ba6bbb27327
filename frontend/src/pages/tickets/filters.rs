//! The list's filter bar: status, priority, assignee, sort, SLA, search, reset and export.
//! Every change goes to the URL through `go`.

use api_types::{Member, Priority};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use super::export::ExportButton;
use crate::logic::{
    AssigneeFilter, SLA_FILTERS, SORTS, StatusFilter, TicketFilter, priority_label, q_problem,
};

#[component]
pub fn FilterBar(
    filter: Memo<TicketFilter>,
    /// Shows another filter (through the URL).
    go: Callback<TicketFilter>,
    #[prop(into)] members: Signal<Vec<Member>>,
) -> impl IntoView {
    let member_list = move || members.get();
    let q_input = RwSignal::new(filter.get_untracked().q);
    Effect::new(move |_| q_input.set(filter.get().q));
    let on_search = move |ev: SubmitEvent| {
        ev.prevent_default();
        let q = q_input.get_untracked();
        if q_problem(&q).is_none() {
            go.run(TicketFilter { q: q.trim().to_owned(), page: 1, ..filter.get_untracked() });
        }
    };

    view! {
        <div class="filters" role="search">
            <div class="field">
                <label for="f-status">"Status"</label>
                <select
                    id="f-status"
                    on:change=move |ev| {
                        let status = StatusFilter::from_param(&event_target_value(&ev));
                        go.run(TicketFilter { status, page: 1, ..filter.get_untracked() });
                    }
                >
                    {StatusFilter::options()
                        .into_iter()
                        .map(|(value, label)| {
                            view! {
                                <option value=value prop:selected=move || filter.get().status.as_param() == value>
                                    {label}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="f-priority">"Priority"</label>
                <select
                    id="f-priority"
                    on:change=move |ev| {
                        let priority = event_target_value(&ev).parse().ok();
                        go.run(TicketFilter { priority, page: 1, ..filter.get_untracked() });
                    }
                >
                    <option value="" prop:selected=move || filter.get().priority.is_none()>"Any"</option>
                    {Priority::ALL
                        .iter()
                        .rev()
                        .map(|p| {
                            let p = *p;
                            view! {
                                <option value=p.as_str() prop:selected=move || filter.get().priority == Some(p)>
                                    {priority_label(p)}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="f-assignee">"Assignee"</label>
                <select
                    id="f-assignee"
                    on:change=move |ev| {
                        let assignee = AssigneeFilter::from_param(&event_target_value(&ev));
                        go.run(TicketFilter { assignee, page: 1, ..filter.get_untracked() });
                    }
                >
                    <option value="" prop:selected=move || filter.get().assignee == AssigneeFilter::Anyone>
                        "Anyone"
                    </option>
                    <option value="me" prop:selected=move || filter.get().assignee == AssigneeFilter::Me>
                        "Me"
                    </option>
                    <option value="none" prop:selected=move || filter.get().assignee == AssigneeFilter::Nobody>
                        "Nobody (unassigned)"
                    </option>
                    {move || {
                        member_list()
                            .into_iter()
                            .map(|m| {
                                let id = m.id;
                                view! {
                                    <option
                                        value=id.to_string()
                                        prop:selected=move || filter.get().assignee == AssigneeFilter::User(id)
                                    >
                                        {m.name}
                                    </option>
                                }
                            })
                            .collect_view()
                    }}
                </select>
            </div>
            <div class="field">
                <label for="f-sort">"Sort"</label>
                <select
                    id="f-sort"
                    on:change=move |ev| {
                        let mut sort = event_target_value(&ev);
                        if sort == SORTS[0].0 {
                            sort.clear();
                        }
                        go.run(TicketFilter { sort, page: 1, ..filter.get_untracked() });
                    }
                >
                    {SORTS
                        .iter()
                        .enumerate()
                        .map(|(i, (value, label))| {
                            let value = *value;
                            view! {
                                <option
                                    value=value
                                    prop:selected=move || {
                                        let sort = filter.get().sort;
                                        sort == value || (i == 0 && sort.is_empty())
                                    }
                                >
                                    {*label}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="f-sla">"SLA"</label>
                <select
                    id="f-sla"
                    on:change=move |ev| {
                        go.run(TicketFilter { sla: event_target_value(&ev), page: 1, ..filter.get_untracked() });
                    }
                >
                    {SLA_FILTERS
                        .iter()
                        .map(|(value, label)| {
                            let value = *value;
                            view! {
                                <option value=value prop:selected=move || filter.get().sla == value>
                                    {*label}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <form class="field search" on:submit=on_search>
                <label for="f-q">"Search"</label>
                <div class="inline">
                    <input id="f-q" type="search" placeholder="Subject, body or reference" bind:value=q_input/>
                    <button type="submit">"Search"</button>
                </div>
                {move || q_problem(&q_input.get()).map(|m| view! { <p class="hint">{m}</p> })}
            </form>
            <div class="field">
                <span class="label-spacer"></span>
                <button
                    class="secondary"
                    on:click=move |_| go.run(TicketFilter { page: 1, ..Default::default() })
                >
                    "Reset filters"
                </button>
            </div>
            <ExportButton api_query=Signal::derive(move || filter.get().to_export_query())/>
        </div>
    }
}
