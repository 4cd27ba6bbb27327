//! Saved views, bulk edits and their jobs.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use domain::queue::JobStatus;

use crate::{Priority, Status, not_null, present};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// A saved view of the ticket list: a name for a list query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SavedView {
    pub id: Uuid,
    #[cfg_attr(feature = "openapi", schema(example = "Urgent, unassigned"))]
    pub name: String,
    /// The list's query string (`GET /tickets` parameters, without `page` or `cursor`);
    /// `assignee=me` means whoever opens the view.
    #[cfg_attr(feature = "openapi", schema(example = "status=open&priority=urgent&assignee=none"))]
    pub query: String,
    /// Shared with the workspace (admins create and change these), or personal (seen by its
    /// owner alone).
    pub shared: bool,
    /// Who created it; null once that user is gone.
    pub owner_id: Option<Uuid>,
    /// With `counts=true`: the tickets the view lists now, as `meta.total` of the list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    /// With `counts=true`: whether `total` is exact (else an estimate past 1,000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_exact: Option<bool>,
}

/// Body of `POST /views`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateViewRequest {
    /// 1–80 characters, trimmed.
    #[cfg_attr(feature = "openapi", schema(example = "Urgent, unassigned", min_length = 1, max_length = 80))]
    pub name: String,
    /// A list query string, validated like `GET /tickets`; an unknown parameter, `page` or
    /// `cursor` is 422 naming `query.<param>`. At most 2,000 characters.
    #[cfg_attr(
        feature = "openapi",
        schema(example = "status=open&priority=urgent&assignee=none", max_length = 2000)
    )]
    pub query: String,
    /// Share with the workspace (admins only). Default: personal.
    #[serde(default)]
    pub shared: bool,
}

/// Body of `PATCH /views/{id}`: only the fields present change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateViewRequest {
    #[serde(default, deserialize_with = "not_null", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, min_length = 1, max_length = 80))]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "not_null", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, max_length = 2000))]
    pub query: Option<String>,
    /// Sharing or unsharing is for admins; an unshared view becomes the admin's own.
    #[serde(default, deserialize_with = "not_null", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = bool))]
    pub shared: Option<bool>,
}

/// What a bulk edit sets on every ticket (at least one field).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BulkSet {
    #[serde(default, deserialize_with = "not_null", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Status))]
    pub status: Option<Status>,
    #[serde(default, deserialize_with = "not_null", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Priority))]
    pub priority: Option<Priority>,
    /// A member's id, or null to unassign (with the same effect on the status as a `PATCH`).
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Uuid>, nullable))]
    pub assigned_to_user_id: Option<Option<Uuid>>,
}

/// Body of `POST /tickets/bulk`: exactly one of `ids` or `query`, and `set`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BulkUpdateRequest {
    /// 1–500 ticket ids or references: changed in one transaction, all or none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(example = json!(["ACME-12", "ACME-13"]), max_items = 500))]
    pub ids: Option<Vec<String>>,
    /// A list query string (like a saved view's): every matching ticket, by a job. At most
    /// 2,000 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(example = "status=open&priority=low", max_length = 2000))]
    pub query: Option<String>,
    pub set: BulkSet,
}

/// The answer of a bulk edit by ids.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct BulkUpdated {
    /// Tickets changed.
    pub updated: u64,
    /// Tickets that already had these values (no event written).
    pub unchanged: u64,
    /// The changed tickets.
    #[cfg_attr(feature = "openapi", schema(example = json!(["ACME-12"])))]
    pub references: Vec<String>,
}

/// A ticket a job could not change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct JobError {
    #[cfg_attr(feature = "openapi", schema(example = "ACME-12"))]
    pub reference: String,
    pub detail: String,
}

/// A bulk job and its progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Job {
    pub id: Uuid,
    pub status: JobStatus,
    /// Tickets walked so far (changed, already so, or failed).
    pub processed: u64,
    /// Tickets that matched when the job was created; once finished, those walked.
    pub total: u64,
    /// Tickets changed so far.
    pub updated: u64,
    /// Tickets that could not be changed (the first 100).
    pub errors: Vec<JobError>,
}

/// The answer of a bulk edit by query (202).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct JobAccepted {
    pub job: Job,
}
