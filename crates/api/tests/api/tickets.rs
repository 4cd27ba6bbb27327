//! Tickets: creation, reads, changes, the activity log and the list.

use serde_json::json;

use crate::db_test;
use crate::helpers::*;

db_test! {
    async fn create_and_read_a_ticket(app: TestApp) {
        let t = app.create_ticket(&app.admin, json!({"subject": "  Printer on fire ", "body": "It caught fire.", "priority": "high"})).await;
        assert_eq!(t["subject"], "Printer on fire");
        assert_eq!(t["reference"], "ACME-1");
        assert_eq!(t["number"], 1);
        assert_eq!(t["status"], "open");
        assert_eq!(t["priority"], "high");
        assert_eq!(t["metadata"]["source"], "api");
        let r = app.get("/api/v1/tickets/acme-1", &app.operator).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["id"], t["id"]);
        assert!(r.body["conversation"].is_null() && r.body["assignee"].is_null());
    }
}
