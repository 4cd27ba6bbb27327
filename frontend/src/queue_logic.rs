//! Pure logic of working the list at scale: the selection's summary, the bulk action's
//! request, a job's progress line, saved views' links and counts. No browser here, so it is
//! unit-tested natively.

use api_types::{BulkSet, BulkUpdateRequest, BulkUpdated, Job, JobStatus, Priority, Status};
use uuid::Uuid;

use crate::logic::{TicketFilter, format_total, group_thousands as format_count};

/// What the operator picked in the list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Picked {
    /// Tickets ticked by hand (references, in the list's order).
    #[default]
    None,
    Some(Vec<String>),
    /// Every ticket matching the list's filter, on every page.
    AllMatching,
}

impl Picked {
    /// Ticks or unticks one reference.
    pub fn toggle(&self, reference: &str) -> Picked {
        let mut refs = match self {
            Picked::Some(refs) => refs.clone(),
            Picked::None | Picked::AllMatching => Vec::new(),
        };
        if let Some(i) = refs.iter().position(|r| r == reference) {
            refs.remove(i);
        } else {
            refs.push(reference.to_owned());
        }
        if refs.is_empty() { Picked::None } else { Picked::Some(refs) }
    }

    /// Whether `reference` shows ticked.
    pub fn has(&self, reference: &str) -> bool {
        match self {
            Picked::None => false,
            Picked::Some(refs) => refs.iter().any(|r| r == reference),
            Picked::AllMatching => true,
        }
    }

    /// Whether every row of `page` is ticked (the header checkbox).
    pub fn covers(&self, page: &[String]) -> bool {
        !page.is_empty() && page.iter().all(|r| self.has(r))
    }

    pub fn is_empty(&self) -> bool {
        *self == Picked::None
    }
}

/// "3 selected", or "All 1,204 matching selected" (≈ past the exact count).
pub fn selection_summary(picked: &Picked, total: u64, total_exact: bool) -> String {
    match picked {
        Picked::None => String::new(),
        Picked::Some(refs) => format!("{} selected", format_count(refs.len() as u64)),
        Picked::AllMatching => format!("All {} matching selected", total_label(total, total_exact)),
    }
}

/// The "select all N matching" offer, when the whole page is ticked and more match.
pub fn select_all_offer(picked: &Picked, page: &[String], total: u64, total_exact: bool) -> Option<String> {
    let more = !total_exact || total > page.len() as u64;
    (matches!(picked, Picked::Some(_)) && picked.covers(page) && more)
        .then(|| format!("Select all {} matching", total_label(total, total_exact)))
}

/// "1,204", "1,000+" or "≈ 41,000": a list's total without its noun.
fn total_label(total: u64, exact: bool) -> String {
    let text = format_total(total, exact);
    text.trim_end_matches(" tickets").trim_end_matches(" ticket").to_owned()
}

/// What the action bar's controls chose: the value of the status, priority and assignee
/// `<select>`s ("" for "leave as is"; for the assignee, "none" unassigns).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BulkChoice {
    pub status: String,
    pub priority: String,
    pub assignee: String,
}

impl BulkChoice {
    /// The `set` of the request, or why there is none.
    pub fn to_set(&self) -> Result<BulkSet, String> {
        let status = match self.status.as_str() {
            "" => None,
            s => Some(s.parse::<Status>().map_err(|_| format!("Unknown status {s}."))?),
        };
        let priority = match self.priority.as_str() {
            "" => None,
            p => Some(p.parse::<Priority>().map_err(|_| format!("Unknown priority {p}."))?),
        };
        let assigned_to_user_id = match self.assignee.as_str() {
            "" => None,
            "none" => Some(None),
            id => Some(Some(Uuid::parse_str(id).map_err(|_| "Unknown assignee.".to_owned())?)),
        };
        if status.is_none() && priority.is_none() && assigned_to_user_id.is_none() {
            return Err("Choose a status, a priority or an assignee to apply.".into());
        }
        Ok(BulkSet { status, priority, assigned_to_user_id })
    }
}

/// The `POST /tickets/bulk` body for what is picked: by ids, or by the list's query (a job).
pub fn bulk_request(picked: &Picked, filter: &TicketFilter, set: BulkSet) -> Option<BulkUpdateRequest> {
    match picked {
        Picked::None => None,
        Picked::Some(refs) => Some(BulkUpdateRequest { ids: Some(refs.clone()), query: None, set }),
        Picked::AllMatching => Some(BulkUpdateRequest { ids: None, query: Some(view_query(filter)), set }),
    }
}

/// The outcome of a bulk edit by ids, as a sentence.
pub fn bulk_done_message(done: &BulkUpdated) -> String {
    let changed = match done.updated {
        1 => "1 ticket changed".to_owned(),
        n => format!("{} tickets changed", format_count(n)),
    };
    match done.unchanged {
        0 => format!("{changed}."),
        n => format!("{changed}, {} already so.", format_count(n)),
    }
}

/// A job's progress as a sentence.
pub fn job_progress(job: &Job) -> String {
    let errors = || {
        job.errors
            .iter()
            .take(3)
            .map(|e| format!("{}: {}", e.reference, e.detail))
            .collect::<Vec<_>>()
            .join("; ")
    };
    match job.status {
        JobStatus::Queued => format!("Queued: {} tickets to change…", format_count(job.total)),
        JobStatus::Running => {
            format!("Working… {} of {} tickets", format_count(job.processed), format_count(job.total))
        }
        JobStatus::Succeeded => {
            format!("Done: {} of {} tickets changed.", format_count(job.updated), format_count(job.processed))
        }
        JobStatus::Failed if job.errors.is_empty() => "The job failed.".to_owned(),
        JobStatus::Failed => format!(
            "Done with errors: {} changed, {} could not be ({}).",
            format_count(job.updated),
            format_count(job.errors.len() as u64),
            errors()
        ),
    }
}

/// A saved view's query for the list's filter: its filters and sort, no page, no `?`.
pub fn view_query(filter: &TicketFilter) -> String {
    filter.to_export_query().trim_start_matches('?').to_owned()
}

/// The app's address of a view's query (the list reads the API's form too).
pub fn view_href(query: &str) -> String {
    let filter = TicketFilter::from_query(&format!("?{query}"));
    format!("/tickets{}", filter.to_query())
}

/// A view's count in the sidebar: "12", "1,000+", "≈ 41k"; empty without a count.
pub fn view_count(total: Option<u64>, exact: Option<bool>) -> String {
    total.map(|n| total_label(n, exact.unwrap_or(true))).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use api_types::JobError;

    fn refs(r: &[&str]) -> Vec<String> {
        r.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn ticking_and_unticking_rows() {
        let p = Picked::None.toggle("ACME-1").toggle("ACME-2");
        assert_eq!(p, Picked::Some(refs(&["ACME-1", "ACME-2"])));
        assert!(p.has("ACME-2") && !p.has("ACME-3"));
        assert_eq!(p.toggle("ACME-1").toggle("ACME-2"), Picked::None);
        // Unticking a row of "all matching" starts a hand-picked selection.
        assert_eq!(Picked::AllMatching.toggle("ACME-9"), Picked::Some(refs(&["ACME-9"])));
        assert!(Picked::AllMatching.covers(&refs(&["ACME-1"])));
        assert!(!Picked::None.covers(&[]));
    }

    #[test]
    fn the_summary_and_the_select_all_offer() {
        let page = refs(&["ACME-1", "ACME-2"]);
        let p = Picked::Some(page.clone());
        assert_eq!(selection_summary(&p, 40, true), "2 selected");
        assert_eq!(select_all_offer(&p, &page, 40, true).as_deref(), Some("Select all 40 matching"));
        assert_eq!(select_all_offer(&p, &page, 2, true), None, "nothing more matches");
        assert_eq!(select_all_offer(&Picked::Some(refs(&["ACME-1"])), &page, 40, true), None);
        assert_eq!(selection_summary(&Picked::AllMatching, 1204, true), "All 1,204 matching selected");
        assert!(selection_summary(&Picked::AllMatching, 5000, false).starts_with("All ≈"));
    }

    #[test]
    fn a_choice_becomes_the_set() {
        assert!(BulkChoice::default().to_set().is_err());
        let set = BulkChoice { status: "closed".into(), ..Default::default() }.to_set().unwrap();
        assert_eq!(set.status, Some(Status::Closed));
        assert_eq!(set.assigned_to_user_id, None);
        let set = BulkChoice { assignee: "none".into(), priority: "high".into(), ..Default::default() }
            .to_set()
            .unwrap();
        assert_eq!(set.assigned_to_user_id, Some(None));
        assert_eq!(set.priority, Some(Priority::High));
    }

    #[test]
    fn hand_picked_rows_go_by_ids_and_all_matching_by_the_list_query() {
        let filter = TicketFilter::from_query("?status=open&sla=breached&page=3");
        let set = BulkSet { status: Some(Status::Closed), ..Default::default() };
        let by_ids = bulk_request(&Picked::Some(refs(&["ACME-1"])), &filter, set.clone()).unwrap();
        assert_eq!(by_ids.ids, Some(refs(&["ACME-1"])));
        assert_eq!(by_ids.query, None);
        let by_query = bulk_request(&Picked::AllMatching, &filter, set.clone()).unwrap();
        assert_eq!(by_query.ids, None);
        assert_eq!(by_query.query.as_deref(), Some("status=open&sla=breached"), "no page");
        assert!(bulk_request(&Picked::None, &filter, set).is_none());
    }

    #[test]
    fn messages_for_outcomes_and_jobs() {
        let done = BulkUpdated { updated: 3, unchanged: 1, references: refs(&["ACME-1"]) };
        assert_eq!(bulk_done_message(&done), "3 tickets changed, 1 already so.");
        let mut job = Job {
            id: Uuid::nil(),
            status: JobStatus::Running,
            processed: 1200,
            total: 5000,
            updated: 1100,
            errors: vec![],
        };
        assert_eq!(job_progress(&job), "Working… 1,200 of 5,000 tickets");
        job.status = JobStatus::Succeeded;
        job.processed = 5000;
        assert_eq!(job_progress(&job), "Done: 1,100 of 5,000 tickets changed.");
        job.status = JobStatus::Failed;
        job.errors = vec![JobError { reference: "ACME-7".into(), detail: "gone".into() }];
        assert!(job_progress(&job).contains("ACME-7: gone"));
    }

    #[test]
    fn views_link_to_the_list_with_their_query() {
        let filter = TicketFilter::from_query("?status=all&priority=urgent&sort=due&page=2");
        let query = view_query(&filter);
        assert_eq!(query, "status=open,pending,resolved,closed&priority=urgent&sort=due");
        assert_eq!(view_href(&query), "/tickets?status=all&priority=urgent&sort=due");
        assert_eq!(view_href("assignee=me&sla=breached"), "/tickets?assignee=me&sla=breached");
        assert_eq!(view_count(Some(12), Some(true)), "12");
        assert_eq!(view_count(Some(41_000), Some(false)), "≈ 41,000");
        assert_eq!(view_count(Some(1000), Some(false)), "1,000+");
        assert_eq!(view_count(None, None), "");
    }
}
