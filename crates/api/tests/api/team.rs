//! Team management: admins add members, change roles and remove members; the last admin
//! stays; every user changes their own password, which ends their earlier sessions.

#![allow(clippy::unwrap_used)]

use domain::auth::Scope;
use domain::notification::EventType;
use reqwest::Method;
use serde_json::{Value, json};

use crate::db_test;
use crate::helpers::*;

fn s(v: &Value) -> &str {
    v.as_str().unwrap()
}

/// `POST /users` as the admin; the answer.
async fn add(app: &TestApp, name: &str, email: &str, role: &str) -> Response {
    app.post(
        "/api/v1/users",
        &app.admin,
        json!({"name": name, "email": email, "role": role, "password": "twelve chars ok"}),
    )
    .await
}

db_test! {
    async fn admins_add_members_field_by_field(app: TestApp) {
        let r = add(&app, "Nina Newcomer", " Nina@Acme.test ", "operator").await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(r.body["email"], "nina@acme.test");
        assert_eq!(r.body["role"], "operator");
        assert_eq!(r.body["name"], "Nina Newcomer");
        let mut keys: Vec<&String> = r.body.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(keys, ["email", "id", "name", "role"]);
        let nina = app.login("nina@acme.test", "twelve chars ok").await;
        assert_eq!(app.get("/api/v1/me", &nina).await.body["role"], "operator");
        let list = app.get("/api/v1/users", &app.admin).await;
        assert!(list.body["data"].as_array().unwrap().iter().any(|m| m["email"] == "nina@acme.test"));

        // Every bad field at once, by name.
        let r = app
            .post("/api/v1/users", &app.admin, json!({"name": "", "email": "not an address", "role": "operator", "password": "eleven char"}))
            .await;
        assert_eq!(r.assert_problem(422), ["email", "name", "password"]);
        let r = app.post("/api/v1/users", &app.admin, json!({"name": "N", "email": "n@acme.test", "role": "owner", "password": "twelve chars ok"})).await;
        assert_eq!(r.assert_problem(422), ["role"]);
        let r = app.post("/api/v1/users", &app.admin, json!({"name": "N", "email": "n@acme.test", "role": "operator"})).await;
        assert_eq!(r.assert_problem(422), ["password"]);

        // An e-mail that has an account, here or in another workspace: 409.
        for email in [OPERATOR_EMAIL, OTHER_ADMIN_EMAIL, "NINA@acme.test"] {
            add(&app, "Again", email, "operator").await.assert_problem(409);
        }
        // Admins only.
        app.post("/api/v1/users", &app.operator, json!({"name": "X", "email": "x@acme.test", "role": "admin", "password": "twelve chars ok"}))
            .await
            .assert_problem(403);
        let reader = app.token(&[Scope::TicketsRead]).await;
        app.post("/api/v1/users", &reader, json!({"name": "X", "email": "x@acme.test", "role": "admin", "password": "twelve chars ok"}))
            .await
            .assert_problem(403);
    }
}

db_test! {
    async fn roles_change_but_the_last_admin_stays(app: TestApp) {
        let admin_path = format!("/api/v1/users/{}", app.admin_id);
        let operator_path = format!("/api/v1/users/{}", app.operator_id);
        // The only admin can be neither demoted nor removed.
        let r = app.patch(&admin_path, &app.admin, json!({"role": "operator"})).await;
        r.assert_problem(409);
        assert!(r.body["detail"].as_str().unwrap().contains("admin"), "{}", r.text);
        app.delete(&admin_path, &app.admin).await.assert_problem(409);
        // Same role: no change, no conflict.
        assert_eq!(app.patch(&admin_path, &app.admin, json!({"role": "admin"})).await.status, 200);

        let r = app.patch(&operator_path, &app.admin, json!({"role": "admin"})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["role"], "admin");
        assert_eq!(app.get("/api/v1/me", &app.operator).await.body["role"], "admin", "takes effect at once");
        // Now the first admin can step down.
        let r = app.patch(&admin_path, &app.operator, json!({"role": "operator"})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        app.patch(&operator_path, &app.operator, json!({"role": "operator"})).await.assert_problem(409);

        app.patch(&operator_path, &app.operator, json!({"role": "boss"})).await.assert_problem(422);
        app.patch(&admin_path, &app.admin, json!({"role": "admin"})).await.assert_problem(403);
        // Another workspace's member, an unknown id, a malformed id: 404.
        let other = format!("/api/v1/users/{}", app.other_admin_id);
        app.patch(&other, &app.operator, json!({"role": "operator"})).await.assert_problem(404);
        app.delete(&other, &app.operator).await.assert_problem(404);
        app.patch(&format!("/api/v1/users/{}", uuid::Uuid::now_v7()), &app.operator, json!({"role": "admin"})).await.assert_problem(404);
        app.delete("/api/v1/users/nope", &app.operator).await.assert_problem(404);
        assert_eq!(app.get("/api/v1/me", &app.other_admin).await.body["role"], "admin");
    }
}

db_test! {
    async fn two_admins_demoting_or_removing_each_other_at_once_leave_one_admin(app: TestApp) {
        // (the remaining admin's e-mail and password)
        let mut admin = (ADMIN_EMAIL.to_owned(), ADMIN_PASSWORD.to_owned(), app.admin_id.to_string());
        for round in 0..2 {
            let email = format!("second{round}@acme.test");
            let first = app.login(&admin.0, &admin.1).await;
            let second = app
                .post("/api/v1/users", &first, json!({"name": "Second", "email": email, "role": "admin", "password": "twelve chars ok"}))
                .await;
            assert_eq!(second.status, 201, "{}", second.text);
            let second_token = app.login(&email, "twelve chars ok").await;
            let (a, b) = (format!("/api/v1/users/{}", s(&second.body["id"])), format!("/api/v1/users/{}", admin.2));
            let (x, y) = if round == 0 {
                tokio::join!(
                    app.patch(&a, &first, json!({"role": "operator"})),
                    app.patch(&b, &second_token, json!({"role": "operator"}))
                )
            } else {
                tokio::join!(app.delete(&a, &first), app.delete(&b, &second_token))
            };
            let mut statuses = [x.status.as_u16(), y.status.as_u16()];
            statuses.sort();
            let ok = if round == 0 { 200 } else { 204 };
            // The loser is refused: 409 when both were admins at the check; when the winner's
            // change came first, 403 (no longer an admin) or 401 (no longer a member).
            assert!(
                statuses[0] == ok && [401, 403, 409].contains(&statuses[1]),
                "{statuses:?}: {} / {}",
                x.text,
                y.text
            );
            let members = app.store.members(app.acme.id).await.unwrap();
            let admins: Vec<_> = members.iter().filter(|m| m.role == domain::auth::Role::Admin).collect();
            assert_eq!(admins.len(), 1, "round {round}: {members:?}");
            if admins[0].user.email == email {
                admin = (email, "twelve chars ok".to_owned(), s(&second.body["id"]).to_owned());
            }
        }
    }
}

db_test! {
    async fn a_removed_member_loses_access_and_their_tickets_are_unassigned(app: TestApp) {
        let mine = app.create_ticket(&app.operator, json!({"subject": "Mine", "body": "b"})).await;
        let r = app.patch(&format!("/api/v1/tickets/{}", s(&mine["id"])), &app.admin, json!({"assigned_to_user_id": app.operator_id})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["status"], "pending");
        let theirs = app.ticket("Someone else's").await;
        let r = app.patch(&format!("/api/v1/tickets/{}", s(&theirs["id"])), &app.admin, json!({"assigned_to_user_id": app.admin_id})).await;
        assert_eq!(r.status, 200);
        let other_ws = app.create_ticket(&app.other_admin, json!({"subject": "OTHER", "body": "b"})).await;
        let link = crate::notifications::link_token(&app, &app.operator).await;

        let r = app.delete(&format!("/api/v1/users/{}", app.operator_id), &app.admin).await;
        assert_eq!(r.status, 204, "{}", r.text);
        // Their session stops working at once; so does a link token they made.
        app.get("/api/v1/me", &app.operator).await.assert_problem(401);
        let r = app.client.get(format!("{}/api/v1/events", app.address)).query(&[("link_token", link)]).send().await.unwrap();
        assert_eq!(r.status(), 401);
        // Their ticket is unassigned (back to open, like a PATCH), logged with the admin as
        // the actor; earlier entries keep the operator's name.
        let ticket = app.get(&format!("/api/v1/tickets/{}", s(&mine["id"])), &app.admin).await;
        assert_eq!(ticket.body["assigned_to_user_id"], Value::Null);
        assert_eq!(ticket.body["status"], "open");
        let events = crate::tickets::events(&app, &app.admin, s(&mine["reference"])).await;
        let last = events.last().unwrap();
        assert!(events.iter().any(|e| e["kind"] == "assignee_changed" && e["to"] == Value::Null), "{events:?}");
        assert_eq!(events[0]["actor"]["name"], "Olivia Operator", "{events:?}");
        assert_ne!(last["actor"]["id"], json!(app.operator_id));
        // Announced like a PATCH: a ticket.updated in the outbox.
        let outbox = app.store.events_after(app.acme.id, uuid::Uuid::nil(), 100).await.unwrap();
        let unassigned = outbox
            .iter()
            .filter(|e| e.event_type == EventType::TicketUpdated && e.data["ticket"]["id"] == mine["id"])
            .any(|e| e.data["changes"].as_array().unwrap().iter().any(|c| c["kind"] == "assignee_changed" && c["to"].is_null()));
        assert!(unassigned, "no ticket.updated for the unassignment");
        // Others' tickets, and other workspaces, untouched.
        let theirs = app.get(&format!("/api/v1/tickets/{}", s(&theirs["id"])), &app.admin).await;
        assert_eq!(theirs.body["assigned_to_user_id"], json!(app.admin_id));
        assert_eq!(app.get(&format!("/api/v1/tickets/{}", s(&other_ws["id"])), &app.other_admin).await.status, 200);
        // No longer listed nor assignable; their account still signs in nowhere here.
        let members = app.get("/api/v1/users", &app.admin).await;
        assert!(!members.body["data"].as_array().unwrap().iter().any(|m| m["id"] == json!(app.operator_id)));
        let r = app.patch(&format!("/api/v1/tickets/{}", s(&mine["id"])), &app.admin, json!({"assigned_to_user_id": app.operator_id})).await;
        assert_eq!(r.assert_problem(422), ["assigned_to_user_id"]);
        app.request(Method::POST, "/api/v1/auth/login", None, Some(&json!({"email": OPERATOR_EMAIL, "password": OPERATOR_PASSWORD})))
            .await
            .assert_problem(401);
        // Removing again: 404.
        app.delete(&format!("/api/v1/users/{}", app.operator_id), &app.admin).await.assert_problem(404);
    }
}

db_test! {
    async fn a_password_change_ends_every_earlier_session(app: TestApp) {
        let path = "/api/v1/me/password";
        let earlier = app.login(OPERATOR_EMAIL, OPERATOR_PASSWORD).await;
        let r = app.post(path, &app.operator, json!({"current_password": "not it", "new_password": "a brand new password"})).await;
        assert_eq!(r.assert_problem(422), ["current_password"]);
        let r = app.post(path, &app.operator, json!({"current_password": "", "new_password": "short"})).await;
        assert_eq!(r.assert_problem(422), ["current_password", "new_password"]);
        let r = app.post(path, &app.operator, json!({"current_password": OPERATOR_PASSWORD})).await;
        assert_eq!(r.assert_problem(422), ["new_password"]);
        let token = app.token(&[Scope::Admin]).await;
        app.post(path, &token, json!({"current_password": "x", "new_password": "a brand new password"})).await.assert_problem(403);
        // Nothing changed so far.
        assert_eq!(app.get("/api/v1/me", &earlier).await.status, 200);

        let r = app.post(path, &app.operator, json!({"current_password": OPERATOR_PASSWORD, "new_password": "a brand new password"})).await;
        assert_eq!(r.status, 204, "{}", r.text);
        for old in [&app.operator, &earlier] {
            let r = app.get("/api/v1/me", old).await;
            r.assert_problem(401);
            assert!(r.body["detail"].as_str().unwrap().contains("password"), "{}", r.text);
        }
        app.request(Method::POST, "/api/v1/auth/login", None, Some(&json!({"email": OPERATOR_EMAIL, "password": OPERATOR_PASSWORD})))
            .await
            .assert_problem(401);
        let fresh = app.login(OPERATOR_EMAIL, "a brand new password").await;
        assert_eq!(app.get("/api/v1/me", &fresh).await.status, 200);
        // Others' sessions are untouched.
        assert_eq!(app.get("/api/v1/me", &app.admin).await.status, 200);
    }
}
