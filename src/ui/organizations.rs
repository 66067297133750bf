//! Organization hooks and widgets: `use_organization_list`, `<OrganizationSwitcher/>` (with
//! the user's invitations, "Join").

use leptos::prelude::*;

use super::{
    context::auth_context,
    context::AuthContext,
    fields::GlobalError,
    form::{error_of, Submitted},
    navigation::{apply_change_in, follow_changes},
    page::GoTo,
};
use crate::{
    api::AuthChange,
    model::{
        GatehouseError, ListPage, Member, MembershipPage, MembershipRequest,
        OrganizationInvitation, OrganizationSettings, OrganizationSuggestion,
    },
};

/// `set_active_organization`'s server function, where a switch posts without JavaScript.
const SET_ACTIVE_ORGANIZATION: &str = crate::api::endpoints::SET_ACTIVE_ORGANIZATION;
/// `accept_invitation`'s, where "Join" posts without JavaScript.
const ACCEPT_INVITATION: &str = crate::api::endpoints::ACCEPT_INVITATION;

/// The query parameter holding the page `<OrganizationSwitcher/>` shows.
const PAGE_PARAM: &str = "organizations_page";

/// The user's memberships, a page at a time, and their pending invitations
/// (`use_organization_list` in Clerk, with `userMemberships` and `userInvitations`).
#[derive(Clone, Copy)]
pub struct OrganizationList {
    /// The current page (1-based).
    pub page_number: RwSignal<u32>,
    /// The loaded page.
    pub page: Resource<Result<MembershipPage, GatehouseError>>,
    /// The user's pending invitations (to their verified address), each accepted with
    /// [`OrganizationList::accept`] — no email round trip.
    pub user_invitations: Resource<Result<Vec<OrganizationInvitation>, GatehouseError>>,
    /// The organizations suggested to the user by their address's verified domain, each asked
    /// to join with [`OrganizationList::request_to_join`].
    pub user_suggestions: Resource<Result<Vec<OrganizationSuggestion>, GatehouseError>>,
    /// Captured where the hook was called, so `accept` can follow its change after an `await`.
    context: AuthContext,
    go: GoTo,
}

impl OrganizationList {
    /// Loads the next page, if there is one.
    pub fn fetch_next(&self) {
        if self
            .page
            .get_untracked()
            .and_then(Result::ok)
            .is_some_and(|page| page.has_next())
        {
            self.page_number.update(|page| *page += 1);
        }
    }

    /// Loads the previous page, if there is one.
    pub fn fetch_previous(&self) {
        self.page_number
            .update(|page| *page = page.saturating_sub(1).max(1));
    }

    /// Joins the organization of one of the user's invitations (Clerk's `invitation.accept()`)
    /// and makes it active; the page's auth state follows, and the lists reload.
    pub async fn accept(&self, invitation: &OrganizationInvitation) -> Result<(), GatehouseError> {
        let id = invitation.id.to_string();
        let change = crate::api::accept_invitation(Some(id), None, None, None).await?;
        apply_change_in(self.context, self.go, &change, None);
        self.user_invitations.refetch();
        Ok(())
    }

    /// "Request to join" a suggested organization (Clerk's `suggestion.accept()`): a membership
    /// request its admins decide; the suggestions reload (this one reads `accepted`).
    pub async fn request_to_join(
        &self,
        suggestion: &OrganizationSuggestion,
    ) -> Result<(), GatehouseError> {
        let id = suggestion.organization_id.to_string();
        crate::api::request_to_join(id).await?;
        self.user_suggestions.refetch();
        Ok(())
    }
}

/// Pages through the signed-in user's memberships; reloads after auth changes.
pub fn use_organization_list(page_size: u32) -> OrganizationList {
    organization_list(page_size, 1)
}

/// [`use_organization_list`] starting at `first_page`.
fn organization_list(page_size: u32, first_page: u32) -> OrganizationList {
    let context = auth_context();
    let page_number = RwSignal::new(first_page);
    let page = Resource::new(
        move || {
            let session = context
                .snapshot
                .with(|snapshot| (snapshot.session_id.clone(), snapshot.org_id.clone()));
            (page_number.get(), session)
        },
        move |(page, _)| crate::api::organization_memberships(page, page_size),
    );
    let user_invitations = Resource::new(
        move || {
            context
                .snapshot
                .with(|snapshot| snapshot.session_id.clone())
        },
        |_| crate::api::user_invitations(),
    );
    let user_suggestions = Resource::new(
        move || {
            context
                .snapshot
                .with(|snapshot| snapshot.session_id.clone())
        },
        |_| crate::api::user_suggestions(),
    );
    OrganizationList {
        page_number,
        page,
        user_invitations,
        user_suggestions,
        context,
        go: GoTo::new(),
    }
}

/// Shows the active organization and switches to another with `set_active` — the page's auth
/// state updates without a reload. `after_select_organization_url` is where to go afterwards
/// (default: stay on the current page). Its pages are links (`?organizations_page=N`, replacing
/// the page's query), so it works without JavaScript too.
#[component]
pub fn OrganizationSwitcher(
    /// Where to go after switching.
    #[prop(optional, into)]
    after_select_organization_url: Option<String>,
    /// Memberships per page.
    #[prop(default = 10)]
    page_size: u32,
) -> impl IntoView {
    let context = auth_context();
    // The switch's answer. Each choice is a plain form (it works without JavaScript) whose
    // submit the browser sends here instead: no form-decoding client per server function.
    let answer = RwSignal::new(None::<Result<AuthChange, GatehouseError>>);
    follow_changes(answer, None);
    let error = error_of(answer);
    let switch = move |ev: leptos::ev::SubmitEvent| {
        let submitted = Submitted::take(&ev);
        let organization_id = submitted.optional("organization_id");
        let redirect_url = submitted.optional("redirect_url");
        leptos::task::spawn_local(async move {
            let result =
                crate::api::set_active_organization(organization_id, redirect_url, None).await;
            answer.set(Some(result));
        });
    };
    let join = move |ev: leptos::ev::SubmitEvent| {
        let submitted = Submitted::take(&ev);
        let invitation_id = submitted.optional("invitation_id");
        let redirect_url = submitted.optional("redirect_url");
        leptos::task::spawn_local(async move {
            let result =
                crate::api::accept_invitation(invitation_id, None, redirect_url, None).await;
            answer.set(Some(result));
        });
    };
    let location = super::page::Here::new();
    // The page shown comes from the URL, so the pager works as plain links without JavaScript;
    // with it, a click loads the page in place.
    let first_page = location
        .query
        .with_untracked(|query| query.get(PAGE_PARAM))
        .and_then(|page| page.parse::<u32>().ok())
        .filter(|page| *page >= 1)
        .unwrap_or(1);
    let list = organization_list(page_size, first_page);
    // Relative to the page: its path, with this query alone.
    let page_href = move |page: u32| format!("?{PAGE_PARAM}={page}");
    let after = StoredValue::new(after_select_organization_url);
    let target = move || {
        after.get_value().unwrap_or_else(|| {
            location.search.track();
            location.pathname.track();
            location.path_and_query()
        })
    };
    let active = move || context.snapshot.with(|snapshot| snapshot.org_slug.clone());
    view! {
        <section class="org-switcher" aria-label="Organization switcher">
            <p>"Active organization: " <strong data-testid="active-org">{move || active().unwrap_or_else(|| "none".into())}</strong></p>
            <GlobalError error/>
            <Transition fallback=|| ()>
                {move || list.page.get().and_then(Result::ok).map(|page| {
                    let has_next = page.has_next();
                    let has_previous = page.has_previous();
                    view! {
                        <ul class="org-list">
                            {page.data.into_iter().map(|membership| {
                                let slug = membership.slug.clone();
                                let is_active = move || active().as_deref() == Some(slug.as_str());
                                view! {
                                    <li>
                                        <form method="post" action=SET_ACTIVE_ORGANIZATION on:submit=switch>
                                            <input type="hidden" name="organization_id" value=membership.organization_id.to_string()/>
                                            <input type="hidden" name="redirect_url" value=target/>
                                            <button type="submit" class="org-choice" aria-pressed=move || is_active().to_string()>
                                                {format!("Switch to {}", membership.name)}
                                            </button>
                                        </form>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                        {move || list.user_invitations.get().and_then(Result::ok).filter(|invitations| !invitations.is_empty()).map(|invitations| view! {
                            <ul class="org-list org-invitations" aria-label="Invitations">
                                {invitations.into_iter().map(|invitation| {
                                    let label = format!("Join {}", invitation.organization_name);
                                    view! {
                                        <li>
                                            <form method="post" action=ACCEPT_INVITATION on:submit=join>
                                                <input type="hidden" name="invitation_id" value=invitation.id.to_string()/>
                                                <input type="hidden" name="redirect_url" value=target/>
                                                <span class="org-name">{invitation.organization_name}</span>
                                                " "
                                                <button type="submit" aria-label=label>"Join"</button>
                                            </form>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        })}
                        <nav class="pager" aria-label="Organization pages">
                            {has_previous.then(|| view! {
                                <a href=page_href(page.page.saturating_sub(1)) on:click=move |ev| {
                                    ev.prevent_default();
                                    list.fetch_previous();
                                }>"Previous"</a>
                            })}
                            <span>{format!("Page {} of {}", page.page, page.total_count.div_ceil(page.page_size.max(1)).max(1))}</span>
                            {has_next.then(|| view! {
                                <a href=page_href(page.page + 1) on:click=move |ev| {
                                    ev.prevent_default();
                                    list.fetch_next();
                                }>"Next"</a>
                            })}
                        </nav>
                    }
                })}
            </Transition>
        </section>
    }
}

/// One list of the active organization, a page at a time (Clerk's paginated resources):
/// `None` without an active organization.
pub struct PagedList<T: Send + Sync + 'static> {
    /// The current page (1-based).
    pub page_number: RwSignal<u32>,
    /// The loaded page.
    pub page: Resource<Result<Option<ListPage<T>>, GatehouseError>>,
}

impl<T: Send + Sync + 'static> Clone for PagedList<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for PagedList<T> {}

impl<T> PagedList<T>
where
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
{
    /// Loads the next page, if there is one.
    pub fn fetch_next(&self) {
        let has_next = self.page.get_untracked().and_then(Result::ok).flatten();
        if has_next.is_some_and(|page| page.has_next()) {
            self.page_number.update(|page| *page += 1);
        }
    }

    /// Loads the previous page, if there is one.
    pub fn fetch_previous(&self) {
        self.page_number
            .update(|page| *page = page.saturating_sub(1).max(1));
    }
}

/// A [`PagedList`] of the active organization, fetched by `fetch(slug, page, page_size)`.
fn paged<T, F, Fut>(page_size: u32, fetch: F) -> PagedList<T>
where
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    F: Fn(String, u32, u32) -> Fut + Copy + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<ListPage<T>, GatehouseError>> + Send + 'static,
{
    let context = auth_context();
    let page_number = RwSignal::new(1);
    let page = Resource::new(
        move || {
            let slug = context.snapshot.with(|snapshot| snapshot.org_slug.clone());
            (slug, page_number.get())
        },
        move |(slug, page)| async move {
            match slug {
                Some(slug) => fetch(slug, page, page_size).await.map(Some),
                None => Ok(None),
            }
        },
    );
    PagedList { page_number, page }
}

/// The active organization (Clerk's `useOrganization()`).
#[derive(Clone, Copy)]
pub struct ActiveOrganization {
    /// What the member sees of it: name, slug, role, permissions, and the domains for a role
    /// that manages them ([`OrganizationSettings`]); `None` without an active organization.
    pub organization: Resource<Result<Option<OrganizationSettings>, GatehouseError>>,
    /// Its members, a page at a time.
    pub memberships: PagedList<Member>,
    /// Its pending invitations, a page at a time (a role that manages memberships).
    pub invitations: PagedList<OrganizationInvitation>,
    /// Its pending membership requests, a page at a time (a role that manages memberships).
    pub membership_requests: PagedList<MembershipRequest>,
}

/// The active organization as the signed-in member sees it (Clerk's `useOrganization()`), each
/// list `page_size` at a time; everything reloads when the active organization changes.
pub fn use_organization(page_size: u32) -> ActiveOrganization {
    let context = auth_context();
    let organization = Resource::new(
        move || context.snapshot.with(|snapshot| snapshot.org_slug.clone()),
        |slug| async move {
            match slug {
                Some(slug) => crate::api::load_organization_settings(slug).await.map(Some),
                None => Ok(None),
            }
        },
    );
    let invitations = |slug, page, page_size| async move {
        let listed = crate::api::organization_invitations(slug, page, page_size).await?;
        Ok(ListPage {
            data: listed.data,
            total_count: listed.total_count,
            page: listed.page,
            page_size: listed.page_size,
        })
    };
    ActiveOrganization {
        organization,
        memberships: paged(page_size, crate::api::organization_members_page),
        invitations: paged(page_size, invitations),
        membership_requests: paged(page_size, crate::api::organization_membership_requests),
    }
}
