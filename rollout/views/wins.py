"""A rollout's wins: the page that shows them, marking an answer or a card as a win (from
this page, a wave's results and the retrospective board), and withdrawing one (with a
confirmation). Small forms, no JavaScript; the rules are in services/wins.py."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..forms import ActionForm
from ..models import Wave
from ..services import rollouts, waves, wins
from ..services.errors import DomainError
from ..services.feedback import consent
from .helpers import ask_to_confirm, confirmed, safe_next

bp = Blueprint("wins", __name__, url_prefix="/rollouts/<key>/wins")


@bp.app_template_global("wins_markable")
def wins_markable(wave: Wave) -> tuple[set[str], set[int]]:
    """For the buttons on the retrospective board: what of `wave` may be marked (once per request)."""
    # kept with the request (g may outlive it, in an app context that serves several)
    cache: dict[int, tuple[set[str], set[int]]] = request.environ.setdefault("rollout.wins_markable", {})
    if wave.id not in cache:
        cache[wave.id] = wins.markable(wave, current_user)
    return cache[wave.id]


@bp.app_template_global("wins_candidates")
def wins_candidates(wave: Wave) -> list:
    return wins.candidates(wave, current_user, str(get_locale()))


@bp.app_template_global("wins_latest")
def wins_latest(rollout: Any, limit: int = 5) -> list:
    """The rollout's latest wins, for its results page."""
    return wins.for_rollout(rollout, current_user, per_page=limit)[0]


@bp.app_template_global("wins_of_wave")
def wins_of_wave(wave: Wave) -> list:
    return wins.for_wave(wave)


def _heard_waves(rollout: Any) -> list[Wave]:
    return [w for w in rollout.waves if w.feedback_opened_at is not None and w.state != "cancelled"]


@bp.route("/")
@login_required
def index(key: str) -> ResponseReturnValue:
    rollout = rollouts.get_rollout(key, current_user)
    shown, _total = wins.for_rollout(rollout, current_user, per_page=500)
    heard = _heard_waves(rollout)
    chosen = None
    wanted = request.args.get("wave", "")
    if wanted.isdigit() and len(wanted) < 6:
        chosen = next((w for w in heard if w.number == int(wanted)), None)
    if chosen is None and heard:
        chosen = heard[-1]
    listed = wins.candidates(chosen, current_user, str(get_locale())) if chosen is not None else []
    return render_template("wins/index.html", rollout=rollout, wins=shown, heard=heard, chosen=chosen,
                           candidates=listed, form=ActionForm())


@bp.route("/mark", methods=["POST"])
@login_required
def mark(key: str) -> ResponseReturnValue:
    rollout = rollouts.get_rollout(key, current_user)
    number = request.form.get("wave", "")
    back = safe_next(request.form.get("next"), url_for("wins.index", key=rollout.key))
    if not ActionForm().validate_on_submit():
        flash(_("The form has expired. Send it again."), "error")
        return redirect(back)
    wave = waves.get_wave(rollout, int(number)) if number.isdigit() and len(number) < 6 else None
    if wave is None:
        flash(_("No such wave."), "error")
        return redirect(back)
    source, ref, title = request.form.get("source"), request.form.get("ref", ""), request.form.get("title")
    try:
        if source == "card":
            wins.mark_card(wave, int(ref) if ref.isdigit() and len(ref) < 10 else None, current_user, title)
        else:
            wins.mark_answer(wave, ref, current_user, title)
    except DomainError as error:
        # a title too long, say, with the reason: the page it goes back to has no field for it
        details = [item["message"] for item in error.details if isinstance(item, dict) and "message" in item] \
            if isinstance(error.details, list) else []
        flash(" ".join([error.message, *details]), "error")
        return redirect(back)
    flash(_("Shared as a win: the participants of later waves will see it."), "success")
    return redirect(back)


@bp.route("/<int:win_id>/withdraw", methods=["POST"])
@login_required
def withdraw(key: str, win_id: int) -> ResponseReturnValue:
    rollout = rollouts.get_rollout(key, current_user)
    win = wins.get_win(rollout, win_id, current_user)
    back = url_for("wins.index", key=rollout.key)
    if not ActionForm().validate_on_submit():
        flash(_("The form has expired. Send it again."), "error")
        return redirect(back)
    if not confirmed():
        return ask_to_confirm(_("Withdraw this win?"), [
            _("“%(text)s” is taken off the wins page, the questionnaires and the e-mails of later waves.",
              text=win.text[:200]),
            _("Its text is not kept; to share it again, mark it again.")],
            _("Yes, withdraw the win"), back)
    wins.withdraw(win, current_user)
    flash(_("The win was withdrawn."), "success")
    return redirect(back)


# --- the participant's side: what the questionnaire and the e-mails show ----------------

@bp.app_template_global("wins_before")
def wins_before(wave: Wave) -> list:
    """"What went well before you": the latest wins of the earlier waves (services/wins.latest_for)."""
    return wins.latest_for(wave)


class ShareState:
    """Which questions of a personal link's form ask "may we share this?", and which are ticked."""

    def __init__(self, codes: set[str], given: set[str]) -> None:
        self.codes, self.given = codes, given


@bp.app_template_global("share_state")
def share_state(visit: Any) -> ShareState:
    cached = request.environ.get("rollout.share_state")
    if cached is None:
        codes: set[str] = set()
        if not visit.rollout.anonymous and visit.questionnaire is not None:
            codes = {q.code for q in visit.questionnaire.questions if consent.shareable(q)}
        if request.method == "POST":
            given = set(request.form.getlist("share"))
        else:
            given = set(consent.given_for(visit.response.id if visit.response is not None else None))
        cached = request.environ["rollout.share_state"] = ShareState(codes, given)
    return cached
