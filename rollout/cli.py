"""`flask --app wsgi rollout ...`: the command line."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from .languages import LANGUAGES
from .services import accounts, demo, imports, signin
from .services.errors import DomainError, ValidationFailed

cli = AppGroup("rollout", help="Rollout: accounts, tokens, people, the demo.")
user_cli = AppGroup("user", help="Staff accounts.")
token_cli = AppGroup("token", help="API tokens.")
people_cli = AppGroup("people", help="People who can be in waves.")
jobs_cli = AppGroup("jobs", help="Background jobs (large imports, very large wave starts).")
cli.add_command(user_cli)
cli.add_command(jobs_cli)
cli.add_command(token_cli)
cli.add_command(people_cli)


def _fail(error: DomainError) -> None:
    click.echo(f"Error: {error.message}", err=True)
    for item in error.details if isinstance(error.details, list) else []:
        where = f"line {item['line']}: " if "line" in item else ""
        field = f"{item['field']}: " if item.get("field") else ""
        click.echo(f"  {where}{field}{item['message']}", err=True)
    sys.exit(1)


@user_cli.command("create")
@click.argument("email")
@click.option("--name", required=True, help="The person's full name.")
@click.option("--admin", is_flag=True, help="Make the user an administrator.")
@click.option("--people-manager", is_flag=True, help="May read and change the people directory.")
@click.option("--rollout-creator", is_flag=True, help="May plan new rollouts.")
@click.option("--council", is_flag=True, help="Is on the council: triages the ideas from the floor.")
@click.option("--password", help="Prompted for (hidden, twice) when not given.")
@click.option("--language", type=click.Choice(LANGUAGES), default="sv")
def create_user(email: str, name: str, admin: bool, people_manager: bool, rollout_creator: bool,
                council: bool, password: str | None, language: str) -> None:
    """Create a staff account."""
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = accounts.create_user(email, name, password, is_admin=admin, language=language,
                                    people_manager=people_manager, rollout_creator=rollout_creator, council=council)
    except ValidationFailed as error:
        _fail(error)
    click.echo(f"Created {'administrator' if user.is_admin else 'user'} {user.email}.")


@user_cli.command("set-password")
@click.argument("email")
@click.option("--password", help="Prompted for (hidden, twice) when not given.")
def set_password(email: str, password: str | None) -> None:
    """Give a user a new password: their sessions end, their API tokens are revoked, and a
    pause on signing in to the account after failed attempts is lifted."""
    try:
        user = accounts.get_user_by_email(email)
        if password is None:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        revoked = accounts.set_password(user, password, None)
    except DomainError as error:
        _fail(error)
    signin.clear(user.email)
    click.echo(f"New password set for {user.email}; every session ended, {revoked} API token(s) revoked.")


@token_cli.command("create")
@click.argument("email")
@click.option("--name", default="", help="What the token is for.")
def create_token(email: str, name: str) -> None:
    """Create an API token for a user and print it (only this once)."""
    try:
        user = accounts.get_user_by_email(email)
    except DomainError as error:
        _fail(error)
    _, plain = accounts.create_token(user, name or "cli")
    click.echo(plain)


@people_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_people(file: Path) -> None:
    """Import people from a CSV file (all or nothing)."""
    try:
        result = imports.import_people_csv(file.read_bytes(), None, source=f"cli:{file.name}")
    except ValidationFailed as error:
        _fail(error)
    click.echo(f"Imported {result.created} new and {result.updated} updated people.")


@people_cli.command("export")
@click.argument("external_id")
def export_person(external_id: str) -> None:
    """Print everything stored about one person, as JSON."""
    import json

    from .services import privacy
    try:
        data = privacy.export_person(privacy.person_by_external_id(external_id, None), None)
    except DomainError as error:
        _fail(error)
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@people_cli.command("erase")
@click.argument("external_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def erase_person(external_id: str, yes: bool) -> None:
    """Erase one person: delete them, their memberships, links and e-mails; unlink their responses."""
    from .services import privacy
    try:
        person = privacy.person_by_external_id(external_id, None)
    except DomainError as error:
        _fail(error)
    if not yes:
        counts = privacy.erasure_preview(person, None)
        click.echo(f"{person.name} <{person.email}> ({person.external_id}): deletes {counts['memberships']} "
                   f"memberships, {counts['links']} links, {counts['emails']} e-mails and {counts['texts']} free "
                   f"texts; keeps {counts['responses']} responses and {counts['problem_reports']} problem reports "
                   "without the person.")
        click.confirm("Erase this person? This cannot be undone", abort=True)
    counts = privacy.erase_person(person, None)
    click.echo(f"Erased {external_id}: " + ", ".join(f"{name} {value}" for name, value in counts.items()) + ".")


@jobs_cli.command("run")
def run_jobs() -> None:
    """Run the queued background jobs (and those whose runner died), then exit."""
    from .services import jobs
    click.echo(f"Ran {jobs.run_pending()} job(s).")


@jobs_cli.command("list")
@click.option("--limit", type=click.IntRange(1, 500), default=20, help="How many of the newest jobs.")
def list_jobs(limit: int) -> None:
    """The newest background jobs: state, progress and outcome."""
    from .services import jobs
    items, _total = jobs.list_jobs(None, 1, limit)
    for job in items:
        outcome = job.message or ", ".join(f"{k} {v}" for k, v in job.result.items())
        state = "cancelling" if job.cancelling else job.state
        click.echo(f"{job.id:>6}  {job.kind:<14} {state:<10} {job.progress_done}/{job.progress_total}  "
                   f"{job.created_at:%Y-%m-%d %H:%M}  {outcome}")


@jobs_cli.command("cancel")
@click.argument("job_id", type=click.IntRange(1, 2**31 - 1))
def cancel_job(job_id: int) -> None:
    """Cancel a queued job now, or a running one before its next step (what earlier steps saved stays)."""
    from .services import jobs
    try:
        job = jobs.cancel(jobs.get_job(job_id, None), None)
    except DomainError as error:
        _fail(error)
    click.echo(f"Job {job.id} cancelled." if job.finished else f"Job {job.id} stops before its next step.")


@cli.command("tick")
def tick() -> None:
    """Run one reconcile tick now and say what it did."""
    from .services import reconcile
    report = reconcile.tick()
    for name, value in report.as_dict().items():
        if value:
            click.echo(f"{name}: {value}")
    click.echo("tick done")


@cli.command("scheduler")
@click.option("--interval", type=int, default=None, help="Seconds between ticks (default SCHEDULER_INTERVAL).")
def scheduler_command(interval: int | None) -> None:
    """Run the scheduler alone (production: one such process besides the web workers)."""
    import logging

    from . import scheduler
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    scheduler.run_forever(current_app._get_current_object(),  # type: ignore[attr-defined]
                          interval or int(current_app.config["SCHEDULER_INTERVAL"]))


@cli.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
def load_demo(if_empty: bool) -> None:
    """Load the demo: a new PC platform rolled out in a Swedish administration."""
    if not demo.is_empty():
        if if_empty:
            click.echo("The database has data already; the demo was not loaded.")
            _print_logins()
            return
        click.echo("Error: the database is not empty; the demo loads into an empty database.", err=True)
        sys.exit(1)
    result = demo.load_demo()
    click.echo(f"Loaded the demo: {result.people} people, rollout '{result.rollout_key}' with its pilot collecting feedback.")
    _print_logins()


def _print_logins() -> None:
    if demo.demo_rollout() is None:
        return
    click.echo("Demo logins (password: %s):" % demo.DEMO_PASSWORD)
    for email, _name, _admin, role in demo.DEMO_USERS:
        click.echo(f"  {email:<22} {role}")
    click.echo(f"Open {current_app.config.get('PUBLIC_URL', 'http://127.0.0.1:5000')}/ and log in.")
    links = demo.feedback_links()
    if links:
        click.echo("Personal feedback links of pilot participants (no login needed):")
        for name, url in links:
            click.echo(f"  {name:<22} {url}")


# --- backup and restore (services/backup.py) ---------------------------------------------

def _size(count: int) -> str:
    value, unit = float(count), "bytes"
    for larger in ("kB", "MB", "GB"):
        if round(value, 1) < 1000:
            break
        value, unit = value / 1000, larger
    return f"{count} bytes" if unit == "bytes" else f"{value:.1f} {unit}"


@cli.command("backup")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
def backup_command(file: Path, force: bool) -> None:
    """Copy the database into FILE while the app serves: SQLite's online backup, or pg_dump's
    custom format on PostgreSQL."""
    from .extensions import db
    from .services import backup
    try:
        result = backup.backup(db.engine.url, file, force=force)
    except DomainError as error:
        _fail(error)
    click.echo(f"Backed up the database to {result.path} ({_size(result.size)}): {result.contents.describe()}; "
               f"schema revision {result.contents.revision}.")
    click.echo("The backup holds no SECRET_KEY: keep the instance's secret with it, or personal links "
               "stop working on the restored instance.")


@cli.command("restore")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace whatever the database holds (asks first).")
@click.option("--yes", is_flag=True, help="With --force: do not ask for confirmation.")
def restore_command(file: Path, force: bool, yes: bool) -> None:
    """Restore a backup FILE made by `rollout backup` into the configured database, which must hold
    no rollouts, users or people (unless --force)."""
    from .extensions import db
    from .services import backup
    url = db.engine.url  # as the engine uses it: Flask-SQLAlchemy makes an SQLite path absolute
    migrations = Path(current_app.extensions["migrate"].directory)
    try:
        backup.schema_state(backup.check_backup(file, url).revision, migrations)
        present = backup.database_contents(url)
        if force and present.has_app_data and not yes:
            click.echo(f"The database {url.render_as_string(hide_password=True)} holds {present.describe()}.")
            click.confirm("Replace all of it with the backup? This cannot be undone", abort=True)
        db.engine.dispose()  # this process's own connections hold nothing open during the restore
        result = backup.restore(url, file, migrations, force=force)
    except DomainError as error:
        _fail(error)
    click.echo(f"Restored {file} into {url.render_as_string(hide_password=True)}: {result.contents.describe()}.")
    if result.schema == "current":
        click.echo(f"The schema is this version's ({result.head}): nothing to upgrade.")
    else:
        click.echo(f"The backup's schema is at revision {result.contents.revision}, older than this version's "
                   f"{result.head}: run `rollout db upgrade` (in a checkout: `flask --app wsgi db upgrade`) to bring it up to date.")
    click.echo("Personal links and anonymous answers need the SECRET_KEY of the instance the backup came from.")


# --- a rollout's archive: export from one instance, import into another --------------------

@cli.command("export")
@click.argument("key")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
def export_rollout(key: str, file: str) -> None:
    """Write the whole rollout as an archive (JSON) to FILE ("-": standard output): everything
    `rollout import` needs, its people records and every wave's responses included."""
    import json

    from flask_babel import force_locale

    from .services import exports, rollouts
    with force_locale("en"):
        try:
            data = exports.rollout_json(rollouts.get_rollout(key, None), None)
        except DomainError as error:
            _fail(error)
    with click.open_file(file, "w", encoding="utf-8") as out:
        json.dump(data, out, ensure_ascii=False, indent=1)
        out.write("\n")
    if file != "-":
        click.echo(f"Exported rollout {key}: {len(data['waves'])} wave(s) to {file}.", err=True)


def _not_json(constant: str) -> None:
    raise ValueError(f"{constant} is not a JSON value")


@cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--key", "new_key", help="Import the rollout under this key (its own is taken here).")
def import_rollout(file: str, new_key: str | None) -> None:
    """Import a rollout archive made by `rollout export` (all or nothing)."""
    import json

    from flask_babel import force_locale

    from .services import rollout_import
    with click.open_file(file, "r", encoding="utf-8") as source:
        try:
            data = json.load(source, parse_constant=_not_json)
        except ValueError as error:
            _fail(ValidationFailed(f"{file} is not a JSON document: {error}"))
    with force_locale("en"):
        try:
            result = rollout_import.import_rollout(data, None, new_key)
        except DomainError as error:
            details = error.details if isinstance(error.details, list) else []
            if any(isinstance(item, dict) and item.get("field") == "key" for item in details):
                details.append({"field": "", "message": "Use --key NEW to import it under another key."})
            _fail(error)
    counts = result.counts
    click.echo(f"Imported rollout {result.rollout.key}: {counts['waves']} wave(s), {counts['members']} member(s), "
               f"{counts['responses']} response(s), {counts['problems']} problem report(s), "
               f"{counts['decisions']} decision(s), {counts['themes']} theme(s), {counts['cards']} card(s), "
               f"{counts['votes']} vote(s), {counts['lessons']} lesson(s).")
    click.echo(f"People: {result.people_created} created, {result.people_matched} already here.")
    for email in result.accounts_created:
        click.echo(f"Account created without a password: {email} (set one with `rollout user set-password {email}`).")
    for wave in result.collecting:
        when = "with the next tick" if wave.state == "feedback" else "once it collects feedback again"
        click.echo(f"Wave {wave.number} ({wave.state}): {wave.links} member(s) get a new personal link by e-mail "
                   f"{when}; their old links do not work here.")
    if result.buckets_job is not None:
        click.echo(f"The people are sorted into the rollout's buckets by job {result.buckets_job} "
                   "(`rollout jobs run`).")
    for note in result.notes:
        click.echo(f"Note: {note}")


def main() -> None:
    """`rollout ...`, the command an installed copy has (setup.cfg's console script): Flask's own
    commands (`rollout db upgrade`, `rollout run`, `rollout routes`) and the ones above without the
    `flask --app wsgi rollout` in front, on the app the environment configures."""
    from flask.cli import FlaskGroup

    from . import create_app

    class Commands(FlaskGroup):
        def list_commands(self, ctx: click.Context) -> list[str]:  # the app's `rollout` group is these
            return [name for name in super().list_commands(ctx) if name != "rollout"]

    group = Commands(name="rollout", help="Rollout: the database, accounts, tokens, people, jobs, the demo.",
                     create_app=lambda: create_app())
    for name, command in cli.commands.items():
        group.add_command(command, name)
    group.main(prog_name="rollout")
