"""MkDocs hook: the command line reference, generated from the click commands themselves.

``mkdocs.yml`` lists this file under ``hooks:``.  On the page that contains the marker
``<!-- cli-reference -->`` the marker is replaced by every command's ``--help`` text, walking
``caiso_pki.cli.main`` and its groups with click, so the reference cannot drift from the code; the
marker ``<!-- exit-status -->`` becomes the exit-code table from ``caiso_pki.cli._common.EXIT_CODES``.
No network is needed.  Run it directly (``python docs/gen_cli.py``) to print the generated Markdown.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import click

MARKER = "<!-- cli-reference -->"
EXIT_MARKER = "<!-- exit-status -->"
CODES_MARKER = "<!-- failure-codes -->"


def _context(command: click.Command, name: str, parent: click.Context | None) -> click.Context:
    settings = {**command.context_settings, "terminal_width": 100, "max_content_width": 100}
    return command.context_class(command, info_name=name, parent=parent, **settings)


def _walk(command: click.Command, ctx: click.Context) -> Iterator[tuple[str, click.Command, click.Context]]:
    yield ctx.command_path, command, ctx
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is None or sub.hidden:
                continue
            yield from _walk(sub, _context(sub, name, ctx))


def cli_reference() -> str:
    """Markdown: one section per command (``caiso-pki``, ``caiso-pki store add`` ...) with its help."""
    from caiso_pki.cli import main

    root = _context(main, "caiso-pki", None)
    sections = []
    for path, command, ctx in _walk(main, root):
        depth = path.count(" ")
        heading = "#" * min(2 + depth, 4)
        summary = command.get_short_help_str(limit=200)
        help_text = command.get_help(ctx).rstrip()
        sections.append(f"{heading} `{path}`\n\n{summary}\n\n```text\n{help_text}\n```\n")
    return "\n".join(sections)


def exit_status_table() -> str:
    """Markdown table of the exit-code contract, from the constants the commands exit with."""
    from caiso_pki.cli._common import EXIT_CODES

    rows = [f"| {code} | {meaning} |" for code, meaning in sorted(EXIT_CODES.items())]
    return "\n".join(["| Status | Meaning |", "| --- | --- |", *rows])


def failure_codes_table() -> str:
    """Markdown: every validation failure code, what it means and the rule it comes from."""
    from caiso_pki.validation import CODES

    rows = ["| Code | Meaning | Source |", "|---|---|---|"]
    rows += [f"| `{code}` | {info.meaning} | {info.source} |" for code, info in sorted(CODES.items())]
    return "\n".join(rows)


def render(markdown: str) -> str:
    """``markdown`` with every marker filled."""
    return (
        markdown.replace(EXIT_MARKER, exit_status_table())
        .replace(MARKER, cli_reference())
        .replace(CODES_MARKER, failure_codes_table())
    )


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """MkDocs hook: fill the markers (CLI reference, exit codes, failure codes)."""
    if not any(marker in markdown for marker in (MARKER, EXIT_MARKER, CODES_MARKER)):
        return markdown
    return render(markdown)


if __name__ == "__main__":
    print(exit_status_table())
    print()
    print(cli_reference())
