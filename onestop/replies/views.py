"""The canned replies page of an organization, and the list beside a case's comment box."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from onestop import policy
from onestop.db import utcnow
from onestop.i18n import gettext as _
from onestop.replies.forms import DeleteForm, ReplyForm
from onestop.replies.models import CannedReply
from onestop.replies.services import delete_reply, replies_of, save_reply
from onestop.web import load, perform, refusal_status

bp = Blueprint("replies", __name__, url_prefix="/replies")


@bp.app_context_processor
def canned_replies_helper():
    # Asked only by the case page's comment box (templates/cases/_canned_replies.html).
    return {"canned_replies": lambda: replies_of(current_user)}


def _page(form: ReplyForm, reply: CannedReply | None = None, status: int = 200):
    return render_template("replies/index.html", replies=replies_of(current_user), form=form,
                           reply=reply, delete_form=DeleteForm(formdata=None)), status


@bp.route("/", methods=["GET", "POST"])
@login_required
def index():
    policy.require(current_user, "reply.use")
    form = ReplyForm()
    if form.validate_on_submit():
        reply = perform(save_reply, current_user, None, title=form.title.data,
                        body=form.body.data, now=utcnow(), form=form,
                        landing=url_for("replies.index"))
        if reply:
            flash(_("Canned reply “%(title)s” added. It is offered beside every comment box "
                    "of your organization.", title=reply.title), "success")
            return redirect(url_for("replies.index"), 303)
    return _page(form, status=refusal_status())


@bp.route("/<int:reply_id>", methods=["GET", "POST"])
@login_required
def edit(reply_id: int):
    reply = load(CannedReply, reply_id)
    form = ReplyForm(obj=reply)
    if form.validate_on_submit():
        if perform(save_reply, current_user, reply, title=form.title.data, body=form.body.data,
                   now=utcnow(), form=form, landing=url_for("replies.index")):
            flash(_("Canned reply “%(title)s” saved.", title=reply.title), "success")
            return redirect(url_for("replies.index"), 303)
    return _page(form, reply, refusal_status())


@bp.post("/<int:reply_id>/delete")
@login_required
def delete(reply_id: int):
    reply = load(CannedReply, reply_id)
    title = reply.title
    if perform(delete_reply, current_user, reply, form=DeleteForm(),
               landing=url_for("replies.index")):
        flash(_("Canned reply “%(title)s” deleted.", title=title), "success")
    return redirect(url_for("replies.index"), 303)
