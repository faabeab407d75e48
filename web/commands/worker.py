"""`sandan worker [--once] [--interval SECONDS]`: sweep, deliver and seal in a loop."""

from __future__ import annotations

import logging.config
import signal
from types import FrameType

import click

from web.commands.common import runtime
from web.logs import logging_config
from workflow.worker import Cycle, Worker


@click.command()
@click.option("--once", is_flag=True, help="Run one cycle and exit.")
@click.option("--interval", type=float, default=None,
              help="Seconds between cycles (default SANDAN_WORKER_INTERVAL).")
@click.option("--quiet", is_flag=True, help="Print nothing for cycles that did nothing.")
def worker(once: bool, interval: float | None, quiet: bool) -> None:
    """Run the deadline sweep and notification delivery until SIGTERM."""
    rt = runtime()
    the_worker = Worker(rt)

    def stop(signum: int, _frame: FrameType | None) -> None:
        click.echo(f"worker {the_worker.name}: {signal.Signals(signum).name}, stopping", err=True)
        the_worker.stop.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    def report(cycle: Cycle) -> None:
        swept, sent = cycle.sweep, cycle.delivery
        while the_worker.problems:
            click.echo(f"worker {the_worker.name}: {the_worker.problems.pop(0)}", err=True)
        if quiet and not (swept.actions or sent.claimed or cycle.checkpoint):
            return
        click.echo(f"worker {the_worker.name}: swept {swept.examined} item(s), "
                   f"{len(swept.actions)} action(s); sent {sent.sent} in {sent.messages} "
                   f"message(s), {sent.retried} to retry, {sent.dead} dead, {sent.deferred} held"
                   + (f"; checkpoint {cycle.checkpoint}" if cycle.checkpoint else ""), err=True)

    if not logging.getLogger().handlers:  # unless the host process set logging up already
        logging.config.dictConfig(logging_config(rt.settings))  # JSON lines in production
    if rt.settings.worker_metrics:
        from web.metrics import serve_worker_metrics

        serve_worker_metrics(rt.settings.worker_metrics)
        click.echo(f"worker {the_worker.name}: metrics on http://{rt.settings.worker_metrics}"
                   "/metrics", err=True)
    interval = interval if interval is not None else rt.settings.worker_interval
    click.echo(f"worker {the_worker.name} started (every {interval:g} s)", err=True)
    the_worker.run(interval, once=once, report=report)
    click.echo(f"worker {the_worker.name} stopped", err=True)
