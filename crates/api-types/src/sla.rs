//! SLA targets (`GET/PUT /sla-policy`) and the states on each ticket: the domain's wire
//! types, which the admin app shares.

pub use domain::sla::{
    BusinessHoursDoc, DAY_NAMES, DUE_SOON_MINUTES, MINUTES_MAX, SlaClock, SlaPolicyDoc, SlaState, SlaStates,
    TargetDoc, TargetsDoc, WeekDoc,
};
