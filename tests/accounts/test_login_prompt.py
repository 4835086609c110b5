"""The login page a visitor is sent to: no warning for the plain first visit, a reason when
they followed a link to a protected page or their session ended."""
from __future__ import annotations

from sqlalchemy import update

from tracker.accounts.models import User
from tracker.extensions import db

WARNING = 'class="alert alert-warning'


def test_a_first_visit_to_the_home_page_shows_the_login_page_without_a_warning(client, world):
    response = client.get("/", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.request.path == "/login"
    assert "请先登录" not in page and WARNING not in page
    page = client.get("/login").get_data(as_text=True)
    assert "请先登录" not in page and WARNING not in page


def test_a_deep_link_says_why_the_login_page_is_shown(client, world):
    response = client.get(f"/proposals?meeting={world.meeting}", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.request.path == "/login"
    assert "请先登录后再访问该页面。" in page


def test_an_ended_session_says_so_even_on_the_home_page(app, client, world):
    client.login("clerk")
    with app.app_context():
        db.session.execute(update(User).where(User.id == world.clerk)
                           .values(session_version=User.session_version + 1))
        db.session.commit()
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert "登录已失效，请重新登录。" in page
