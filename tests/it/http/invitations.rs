//! Invitations over HTTP on SQLite: the admins' server functions (and who is refused), the page
//! an invitation link opens with each of its plain forms — sign up, sign in, "Join" — working
//! without JavaScript, a signed-in user's own invitations, and one link accepted twice at once.

use super::{codes, form, TestApp, ORGS_ON, PASSWORD};
use crate::invitations::ticket_in;
use gatehouse::domain::ports::{Organizations, Users};
use http::StatusCode;

/// Ada's browser, with Acme made and active.
async fn admin() -> (TestApp, String) {
    let mut app = TestApp::with_env(ORGS_ON).await;
    app.sign_up("ada@example.com").await;
    let created = app
        .call(
            "/api/auth/create_organization",
            &[("name", "Acme"), ("slug", "acme")],
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let org_id = created.json()["snapshot"]["orgId"]
        .as_str()
        .unwrap()
        .to_string();
    (app, org_id)
}

async fn invite(app: &mut TestApp, email: &str) -> super::Reply {
    app.call(
        "/api/auth/invite_organization_member",
        &[
            ("slug", "acme"),
            ("email_address", email),
            ("role", "org:member"),
        ],
    )
    .await
}

/// The newest ticket mailed to `to`.
fn ticket(app: &TestApp, to: &str) -> String {
    app.mails(to)
        .iter()
        .rev()
        .find_map(|mail| ticket_in(mail))
        .expect("an invitation mail")
}

fn page(ticket: &str) -> String {
    format!("/invitations/accept?__clerk_ticket={ticket}")
}

/// `(orgId, orgRole)` of the browser's session.
async fn org_of(app: &mut TestApp) -> (String, String) {
    let me = app.get("/api/me").await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    let me = me.json();
    (
        me["orgId"].as_str().unwrap_or_default().to_string(),
        me["orgRole"].as_str().unwrap_or_default().to_string(),
    )
}

#[tokio::test]
async fn admins_invite_list_resend_and_revoke_and_no_one_else_may() {
    let (mut ada, org_id) = admin().await;
    let invited = invite(&mut ada, "Bob@Example.com").await;
    assert_eq!(invited.status, StatusCode::OK, "{}", invited.body);
    let invited = invited.json();
    assert_eq!(invited["email_address"], "bob@example.com");
    assert_eq!(invited["status"], "pending");
    let id = invited["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("orginv_"), "{id}");
    let mail = ada.mails("bob@example.com").remove(0);
    assert!(
        mail.contains("Subject: You're invited to join Acme"),
        "{mail}"
    );

    let twice = invite(&mut ada, "bob@example.com").await;
    assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        codes(&twice),
        [(
            "organization_invitation_not_unique".to_string(),
            "email_address".to_string()
        )]
    );
    let member = invite(&mut ada, "ada@example.com").await;
    assert_eq!(member.error_code(), "already_a_member_in_organization");
    let listed = ada
        .call(
            "/api/auth/organization_invitations",
            &[("slug", "acme"), ("page", "1"), ("page_size", "10")],
        )
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    assert_eq!(listed.json()["total_count"], 1);
    assert_eq!(listed.json()["data"][0]["id"], id.as_str());

    // A member without the permission, and a signed-out browser: refused, nothing changes.
    let mut eve = ada.other_browser();
    eve.sign_up("eve@example.com").await;
    let store = ada.store().await;
    let eve_id = store
        .find_user_by_email("eve@example.com")
        .await
        .unwrap()
        .unwrap()
        .id;
    let org = gatehouse::model::OrgId::new(org_id.clone());
    store
        .upsert_member(&org, &eve_id, "org:member", 0)
        .await
        .unwrap();
    let switched = eve
        .call(
            "/api/auth/set_active_organization",
            &[("organization_id", org_id.as_str())],
        )
        .await;
    assert_eq!(switched.status, StatusCode::OK, "{}", switched.body);
    let id_form = [("slug", "acme"), ("invitation_id", id.as_str())];
    let mut stranger = ada.other_browser();
    for (browser, status, code) in [
        (
            &mut eve,
            StatusCode::FORBIDDEN,
            "organization_not_found_or_unauthorized",
        ),
        (
            &mut stranger,
            StatusCode::UNAUTHORIZED,
            "authorization_invalid",
        ),
    ] {
        let refused = invite(browser, "mallory@example.com").await;
        assert_eq!(
            (refused.status, refused.error_code().as_str()),
            (status, code)
        );
        for path in [
            "/api/auth/revoke_organization_invitation",
            "/api/auth/resend_organization_invitation",
        ] {
            let refused = browser.call(path, &id_form).await;
            assert_eq!(
                (refused.status, refused.error_code().as_str()),
                (status, code),
                "{path}"
            );
        }
        let list = browser
            .call(
                "/api/auth/organization_invitations",
                &[("slug", "acme"), ("page", "1"), ("page_size", "10")],
            )
            .await;
        assert_eq!((list.status, list.error_code().as_str()), (status, code));
    }
    assert!(ada.mails("mallory@example.com").is_empty());

    // Resent at most once a minute; revoked, its link says so.
    let early = ada
        .call("/api/auth/resend_organization_invitation", &id_form)
        .await;
    assert_eq!(
        early.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        early.body
    );
    let link = ticket(&ada, "bob@example.com");
    let revoked = ada
        .call("/api/auth/revoke_organization_invitation", &id_form)
        .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.body);
    let mut bob = ada.other_browser();
    let refused = bob.get(&page(&link)).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused.body.contains("This invitation was revoked."),
        "{}",
        refused.body
    );
}

#[tokio::test]
async fn an_invitation_link_signs_up_signs_in_or_joins_without_javascript() {
    let (mut ada, _) = admin().await;
    // Carol and Dan have accounts; Dan stays signed in.
    let mut carol = ada.other_browser();
    carol.sign_up("carol@example.com").await;
    let mut dan = ada.other_browser();
    dan.sign_up("dan@example.com").await;
    for email in ["bob@example.com", "carol@example.com", "dan@example.com"] {
        assert_eq!(invite(&mut ada, email).await.status, StatusCode::OK);
    }

    // Bob has no account: the page offers the sign-up, which needs no code.
    let bob_link = ticket(&ada, "bob@example.com");
    let mut bob = ada.other_browser();
    let shown = bob.get(&page(&bob_link)).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert_eq!(shown.headers["cache-control"], "no-store");
    assert!(shown.body.contains("<h1>Join Acme</h1>"), "{}", shown.body);
    assert!(shown.body.contains("action=\"/api/auth/sign_up_ticket\""));
    assert!(shown.body.contains("value=\"bob@example.com\""));
    let signed_up = bob
        .form_post(
            "/api/auth/sign_up_ticket",
            &page(&bob_link),
            &[
                ("ticket", &bob_link),
                ("email_address", "bob@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(signed_up.status, StatusCode::FOUND, "{}", signed_up.body);
    assert_eq!(signed_up.location(), "/dashboard");
    assert_eq!(org_of(&mut bob).await.1, "org:member");
    assert_eq!(ada.mails("bob@example.com").len(), 1, "no code was mailed");
    let used = ada.other_browser().get(&page(&bob_link)).await;
    assert_eq!(used.status, StatusCode::BAD_REQUEST);
    assert!(used.body.contains("This invitation was accepted already."));

    // Carol has an account: the page offers the sign-in; a wrong password comes back to it.
    let carol_link = ticket(&ada, "carol@example.com");
    let mut signed_out = ada.other_browser();
    let shown = signed_out.get(&page(&carol_link)).await;
    assert!(
        shown.body.contains("action=\"/api/auth/sign_in\""),
        "{}",
        shown.body
    );
    assert!(shown.body.contains("name=\"identifier\""));
    let wrong = signed_out
        .form_post(
            "/api/auth/sign_in",
            &page(&carol_link),
            &[
                ("ticket", &carol_link),
                ("identifier", "carol@example.com"),
                ("password", "not-her-password"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FOUND);
    let back = wrong
        .location()
        .strip_prefix(super::ORIGIN)
        .unwrap_or(wrong.location());
    assert!(back.starts_with("/invitations/accept?"), "{back}");
    let shown = signed_out.get(back).await;
    assert!(
        shown.body.contains("role=\"alert\">Password is incorrect"),
        "{}",
        shown.body
    );
    let signed_in = signed_out
        .form_post(
            "/api/auth/sign_in",
            &page(&carol_link),
            &[
                ("ticket", &carol_link),
                ("identifier", "carol@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(signed_in.status, StatusCode::FOUND, "{}", signed_in.body);
    assert_eq!(signed_in.location(), "/dashboard");
    assert_eq!(org_of(&mut signed_out).await.1, "org:member");

    // Dan is signed in: "Join"; someone else signed in is told it is not theirs.
    let dan_link = ticket(&ada, "dan@example.com");
    let other = carol.get(&page(&dan_link)).await;
    assert!(
        other
            .body
            .contains("This invitation is for another email address."),
        "{}",
        other.body
    );
    let shown = dan.get(&page(&dan_link)).await;
    assert!(
        shown
            .body
            .contains("action=\"/api/auth/accept_invitation\""),
        "{}",
        shown.body
    );
    assert!(shown.body.contains(">Join</button>"));
    let joined = dan
        .form_post(
            "/api/auth/accept_invitation",
            &page(&dan_link),
            &[("ticket", &dan_link)],
        )
        .await;
    assert_eq!(joined.status, StatusCode::FOUND, "{}", joined.body);
    assert_eq!(joined.location(), "/dashboard");
    assert_eq!(org_of(&mut dan).await.1, "org:member");

    // A made-up link.
    let made_up = ada.other_browser().get(&page("not-a-ticket")).await;
    assert_eq!(made_up.status, StatusCode::BAD_REQUEST);
    assert!(made_up.body.contains("This invitation link is not valid."));
}

#[tokio::test]
async fn a_users_own_invitations_are_listed_and_joined_without_the_email() {
    let (mut ada, _) = admin().await;
    let mut gina = ada.other_browser();
    gina.sign_up("gina@example.com").await;
    let invited = invite(&mut ada, "gina@example.com").await.json();
    let mine = gina.call("/api/auth/user_invitations", &[]).await;
    assert_eq!(mine.status, StatusCode::OK, "{}", mine.body);
    assert_eq!(mine.json()[0]["id"], invited["id"]);
    assert_eq!(mine.json()[0]["organization_name"], "Acme");
    let id = invited["id"].as_str().unwrap();
    let joined = gina
        .call("/api/auth/accept_invitation", &[("invitation_id", id)])
        .await;
    assert_eq!(joined.status, StatusCode::OK, "{}", joined.body);
    assert_eq!(joined.json()["snapshot"]["orgRole"], "org:member");
    assert_eq!(joined.json()["snapshot"]["sessionStatus"], "active");
    let mine = gina.call("/api/auth/user_invitations", &[]).await;
    assert_eq!(mine.json().as_array().unwrap().len(), 0);
    // Neither key, or both: a malformed request.
    let neither = gina.call("/api/auth/accept_invitation", &[]).await;
    assert_eq!(neither.error_code(), "request_invalid");
    let signed_out = ada
        .other_browser()
        .call("/api/auth/user_invitations", &[])
        .await;
    assert_eq!(signed_out.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn two_acceptances_of_one_link_at_once_make_one_membership() {
    let (mut ada, org_id) = admin().await;
    let mut dan = ada.other_browser();
    dan.sign_up("dan@example.com").await;
    invite(&mut ada, "dan@example.com").await;
    let link = ticket(&ada, "dan@example.com");
    let replies = dan
        .parallel(
            "/api/auth/accept_invitation",
            vec![form(&[("ticket", &link)]), form(&[("ticket", &link)])],
        )
        .await;
    let mut statuses: Vec<_> = replies.iter().map(|r| r.status).collect();
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::BAD_REQUEST]);
    let refused = replies.iter().find(|r| r.status != StatusCode::OK).unwrap();
    assert_eq!(
        refused.error_code(),
        "organization_invitation_already_accepted"
    );
    let members = ada
        .store()
        .await
        .list_members(&gatehouse::model::OrgId::new(org_id))
        .await
        .unwrap();
    assert_eq!(members.len(), 2, "{members:?}");
}

#[test]
fn the_accept_page_posts_to_the_kits_endpoints() {
    use gatehouse::{api::endpoints, server::invitations::FORM_ENDPOINTS};
    assert_eq!(FORM_ENDPOINTS.join, endpoints::ACCEPT_INVITATION);
    assert_eq!(FORM_ENDPOINTS.sign_in, endpoints::SIGN_IN);
    assert_eq!(FORM_ENDPOINTS.sign_up, endpoints::SIGN_UP_TICKET);
}
