"""Pages of the saved views: save the queue's filters, rename, delete; the nav lists them."""
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from onestop import policy
from onestop.cases import saved_views
from onestop.cases.forms import RenameViewForm, SaveViewForm
from onestop.cases.queue import is_valid_query
from onestop.cases.views import bp
from onestop.db import utcnow
from onestop.errors import Invalid
from onestop.extensions import db
from onestop.i18n import gettext as _
from onestop.web import perform


@bp.app_context_processor
def saved_view_links():
    """The nav's views: "my cases" first, then the user's own saved views; the one whose
    filters are the page's is marked current."""
    def links():
        if not policy.can(current_user, "case.save_view"):
            return []
        here = (saved_views.clean_query(request.query_string.decode())
                if request.endpoint == "cases.index" else None)
        mine = saved_views.clean_query("owner=me")
        found = [(_("My cases"), mine)] + [(v.name, v.query)
                                           for v in saved_views.views_of(current_user)]
        return [{"name": name, "url": url_for("cases.index") + "?" + query,
                 "current": query == here} for name, query in found]
    return {"saved_view_links": links}


@bp.get("/views")
@login_required
def views_page():
    policy.require(current_user, "case.save_view")
    return _page()


def _page(status: int = 200, rename_form=None, renaming: int | None = None):
    views = saved_views.views_of(current_user)
    forms = {v.id: RenameViewForm(formdata=None, name=v.name) for v in views}
    if renaming in forms:
        forms[renaming] = rename_form
    return render_template("cases/saved_views.html", views=views, forms=forms), status


@bp.post("/views")
@login_required
def save_view():
    policy.require(current_user, "case.save_view")
    form = SaveViewForm()
    query = form.query.data or ""
    back = url_for("cases.index") + ("?" + query if query else "")
    if not form.validate_on_submit():
        flash(" ".join(e for errors in form.errors.values() for e in errors), "error")
        return redirect(back, 303)

    def save():
        if not is_valid_query(query):
            raise Invalid(_("These filters cannot be saved: open the queue and filter again."))
        return saved_views.save_view(current_user, form.name.data, query, now=utcnow())

    view = perform(save, form=form, landing=lambda v: url_for("cases.index") + "?" + v.query)
    if view:
        flash(_("Saved the view %(name)s. It is in the menu under Saved views.",
                name=view.name), "success")
        return redirect(url_for("cases.index") + "?" + view.query, 303)
    if form.name.errors:
        flash(" ".join(form.name.errors), "error")
    return redirect(back, 303)


@bp.post("/views/<int:view_id>/rename")
@login_required
def rename_view(view_id: int):
    view = _own(view_id)
    form = RenameViewForm()
    if not form.validate_on_submit():
        return _page(422, form, view_id)
    outcome = perform(saved_views.rename_view, current_user, view, form.name.data, form=form)
    if not outcome:
        db.session.refresh(view)
        return _page(outcome.status, form, view_id)
    flash(_("Renamed the view to %(name)s.", name=view.name), "success")
    return redirect(url_for("cases.views_page"), 303)


@bp.post("/views/<int:view_id>/delete")
@login_required
def delete_view(view_id: int):
    view = _own(view_id)
    name = view.name
    if perform(saved_views.delete_view, current_user, view):
        flash(_("Deleted the view %(name)s.", name=name), "success")
    return redirect(url_for("cases.views_page"), 303)


def _own(view_id: int):
    policy.require(current_user, "case.save_view")
    return saved_views.view_of(current_user, view_id)
