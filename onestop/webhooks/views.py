"""The webhooks pages: an organization's endpoints, each with its messages, their attempts
and a button to send one again."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from onestop import policy
from onestop.db import utcnow
from onestop.extensions import db
from onestop.i18n import gettext as _
from onestop.notifications.events import KIND_LABELS
from onestop.web import load, perform, refusal_status
from onestop.webhooks import services
from onestop.webhooks.forms import ButtonForm, EndpointForm
from onestop.webhooks.models import WebhookDelivery, WebhookEndpoint

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")


@bp.route("/", methods=["GET", "POST"])
@login_required
def index():
    policy.require(current_user, "webhook.keep")
    form = EndpointForm()
    if form.validate_on_submit():
        made = perform(services.create_endpoint, current_user, url=form.url.data,
                       kinds=form.events.data, description=form.description.data,
                       allow_private=form.allow_private.data, now=utcnow(), form=form,
                       landing=url_for("webhooks.index"))
        if made:
            endpoint, secret = made
            # The secret is in this answer only, as an access token is (never in the cookie).
            return _endpoint_page(endpoint, EndpointForm(formdata=None, obj=endpoint),
                                  new_secret=secret)
    return render_template("webhooks/index.html", endpoints=services.endpoints_of(current_user),
                           form=form), refusal_status()


def _endpoint_page(endpoint: WebhookEndpoint, form: EndpointForm, *,
                   new_secret: str | None = None, status: int = 200):
    deliveries = services.deliveries_of(endpoint)
    return render_template("webhooks/endpoint.html", endpoint=endpoint, form=form,
                           kind_labels=KIND_LABELS,
                           deliveries=deliveries, attempts=services.attempts_of(deliveries),
                           new_secret=new_secret, button=ButtonForm(formdata=None)), status


@bp.route("/<int:endpoint_id>", methods=["GET", "POST"])
@login_required
def endpoint(endpoint_id: int):
    endpoint = load(WebhookEndpoint, endpoint_id)
    form = EndpointForm(obj=endpoint)
    if form.validate_on_submit():
        if perform(services.update_endpoint, current_user, endpoint, url=form.url.data,
                   kinds=form.events.data, description=form.description.data,
                   allow_private=form.allow_private.data, form=form,
                   landing=url_for("webhooks.endpoint", endpoint_id=endpoint.id)):
            flash(_("Webhook saved."), "success")
            return redirect(url_for("webhooks.endpoint", endpoint_id=endpoint.id), 303)
        db.session.refresh(endpoint)
    return _endpoint_page(endpoint, form, status=refusal_status())


@bp.post("/<int:endpoint_id>/switch/<any(on, off):state>")
@login_required
def switch(endpoint_id: int, state: str):
    endpoint = load(WebhookEndpoint, endpoint_id)
    here = url_for("webhooks.endpoint", endpoint_id=endpoint.id)
    if perform(services.switch, current_user, endpoint, state == "on", utcnow(),
               form=ButtonForm(), landing=here):
        flash(_("Webhook on: waiting messages are being sent.") if state == "on"
              else _("Webhook paused: its messages wait until it is on again."), "success")
    return redirect(here, 303)


@bp.post("/<int:endpoint_id>/secret")
@login_required
def new_secret(endpoint_id: int):
    endpoint = load(WebhookEndpoint, endpoint_id)
    secret = perform(services.new_secret, current_user, endpoint, form=ButtonForm(),
                     landing=url_for("webhooks.endpoint", endpoint_id=endpoint.id))
    if not secret:
        return redirect(url_for("webhooks.endpoint", endpoint_id=endpoint.id), 303)
    return _endpoint_page(endpoint, EndpointForm(formdata=None, obj=endpoint), new_secret=secret)


@bp.post("/<int:endpoint_id>/delete")
@login_required
def delete(endpoint_id: int):
    endpoint = load(WebhookEndpoint, endpoint_id)
    url = endpoint.url
    if perform(services.delete_endpoint, current_user, endpoint, form=ButtonForm(),
               landing=url_for("webhooks.index")):
        flash(_("Webhook %(url)s deleted with its messages.", url=url), "success")
    return redirect(url_for("webhooks.index"), 303)


@bp.post("/deliveries/<int:delivery_id>/redeliver")
@login_required
def redeliver(delivery_id: int):
    delivery = db.session.get(WebhookDelivery, delivery_id) or abort(404)
    here = url_for("webhooks.endpoint", endpoint_id=delivery.endpoint_id)
    policy.require(current_user, "webhook.edit", delivery.endpoint)
    if perform(services.redeliver, current_user, delivery, utcnow(), form=ButtonForm(),
               landing=here):
        flash(_("The message is queued to be sent again."), "success")
    return redirect(here, 303)
