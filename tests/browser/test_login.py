"""A moderator signs in through the form on a phone, sees the staff menu, signs out."""
import re

from playwright.sync_api import expect


def test_sign_in_see_staff_menu_and_sign_out(page, live_server, make_user, sign_in):
    make_user("moderator", email="clerk@example.org")
    sign_in(page, "clerk@example.org", lang="en")
    expect(page.locator("p.flash.success")).to_contain_text("You are signed in.")
    staff = page.locator("nav.staff")
    expect(staff).to_contain_text("clerk@example.org")
    expect(staff.get_by_role("link", name="Audit log")).to_be_visible()
    expect(staff.get_by_role("link", name="Users")).to_have_count(0)  # admins only
    staff.get_by_role("link", name="Audit log").click()
    expect(page).to_have_url(re.compile(r"/en/audit/$"))
    expect(page.locator("table.audit")).to_contain_text("login.success")
    staff.get_by_role("button", name="Sign out").click()
    expect(page.locator("p.flash.success")).to_contain_text("You are signed out.")
    expect(page.locator("nav.staff")).to_have_count(0)
    page.goto(f"{live_server}/en/audit/")
    expect(page).to_have_url(re.compile(r"/en/login\?next="))


def test_wrong_password_shows_the_generic_error(page, live_server, make_user, sign_in):
    make_user("drafter", email="drafter@example.org")
    sign_in(page, "drafter@example.org", password="not the password", lang="ky",
            expect_success=False)
    expect(page).to_have_url(re.compile(r"/ky/login$"))
    expect(page.locator("#password-error")).to_be_visible()
    expect(page.locator("nav.staff")).to_have_count(0)
