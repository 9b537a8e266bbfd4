"""`deskui kb ...`: import, export, search and reindex the knowledge base.

``deskui kb search --format json`` prints a list of objects, best first, with
the stable keys ``id``, ``external_id``, ``title``, ``score`` (higher is
better, comparable within one query only), ``snippet`` (plain text, no match
markers), ``tags``, ``category`` and ``status``.
"""

from __future__ import annotations

from pathlib import Path

import typer

from deskui.cli import common

app = typer.Typer(help="Knowledge base: import, export, search, reindex.", no_args_is_help=True,
                  rich_markup_mode=None, pretty_exceptions_enable=False)

SEARCH_COLUMNS = ("external_id", "title", "score", "snippet")
SEARCH_FORMATS = ("table", "json")


def _check_search_format(fmt: str) -> str:
    return common.check_format_in(SEARCH_FORMATS, fmt)


@app.command("import")
def import_(
    path: Path = typer.Argument(..., help="A folder of .md files, a .md file or a .jsonl file."),
    batch_size: int = typer.Option(500, "--batch-size", min=1, help="Articles per transaction."),
) -> None:
    """Import articles (idempotent by id: unchanged articles are left alone)."""
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from deskui.services.knowledge import import_path

    engine = common.get_engine()
    console = Console(stderr=True)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console,
                  transient=True, disable=not console.is_terminal) as progress:
        task = progress.add_task("importing", total=None)
        summary = import_path(engine, path, batch_size=batch_size, actor=common.get_actor(),
                              on_progress=lambda done: progress.update(task, description=f"imported {done:,}"))
    typer.echo(f"{summary.read} read: {summary.created} created, {summary.updated} updated, "
               f"{summary.unchanged} unchanged")


@app.command("export")
def export(
    directory: Path = typer.Argument(..., help="Folder to write <id>.md files into (created if missing)."),
    published_only: bool = typer.Option(False, "--published-only", help="Leave drafts out."),
) -> None:
    """Export every article as Markdown with front matter (re-imports identically)."""
    from deskui.services.knowledge import export_dir

    summary = export_dir(common.get_engine(), directory, include_drafts=not published_only)
    typer.echo(f"{summary.written} articles written to {summary.directory}")


@app.command("search")
def search(
    query: str = typer.Argument(..., help='Natural language; "quoted phrases" must match, word* is a prefix.'),
    limit: int = typer.Option(10, "--limit", "-n", min=1, max=1000, help="Most results to show."),
    fmt: str = typer.Option("table", "--format", "-f", help="table or json", callback=_check_search_format),
    drafts: bool = typer.Option(False, "--drafts", help="Include draft articles."),
) -> None:
    """Ranked full-text search over titles, tags and bodies."""
    from deskui.reads.knowledge import search_articles, strip_marks

    hits = search_articles(common.get_engine(), query, limit=limit, include_drafts=drafts)
    rows = [
        {"id": h.id, "external_id": h.external_id, "title": h.title, "score": round(h.score, 6),
         "snippet": strip_marks(h.snippet), "tags": h.tags, "category": h.category, "status": h.status}
        for h in hits
    ]
    if fmt == "json":
        common.emit(rows, "json", SEARCH_COLUMNS)
    elif not rows:
        typer.echo("no articles found", err=True)
    else:
        _print_hits(hits)


def _print_hits(hits) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(header_style="bold", show_lines=True)
    for column, options in (("id", {"no_wrap": True}), ("title", {"ratio": 2}), ("score", {"justify": "right"}),
                            ("snippet", {"ratio": 3})):
        table.add_column(column, **options)
    for hit in hits:
        table.add_row(Text(hit.external_id), Text(hit.title), Text(f"{hit.score:.3f}"), _marked(hit.snippet))
    Console().print(table)


def _marked(snippet: str):
    """Snippet as rich Text with matches in bold (untrusted text: never markup)."""
    from rich.text import Text

    from deskui.reads.knowledge import MARK_END, MARK_START

    text = Text()
    bold = False
    for piece in snippet.replace(MARK_END, MARK_START).split(MARK_START):
        if piece:
            text.append(piece, style="bold" if bold else "")
        bold = not bold
    return text


@app.command("evaluate")
def evaluate(
    file: Path = typer.Argument(..., help='JSON Lines: {"query": "...", "article": "KB0001"} per line.'),
    fmt: str = typer.Option("table", "--format", "-f", help="table or json"),
    misses: bool = typer.Option(False, "--misses", help="List the queries whose article is not ranked first."),
) -> None:
    """How well search finds each query's article: MRR@10, P@1, nDCG@10, beside raw full-text ranking."""
    import json

    from deskui.reads.kb_evaluation import K, evaluate_file

    fmt = common.check_format_in(("table", "json"), fmt)
    result = evaluate_file(common.get_engine(), file)
    rows = {"deskui": result.deskui, "raw_or": result.raw_or, "raw_and": result.raw_and}
    if fmt == "json":
        data = {"queries": result.cases, "k": K, "unknown_articles": list(result.unknown_articles),
                **{name: {"mrr": round(s.mrr, 4), "p1": round(s.p1, 4), "ndcg": round(s.ndcg, 4)}
                   for name, s in rows.items()}}
        if misses:
            data["misses"] = [{"line": m.case.line, "query": m.case.query, "article": m.case.article,
                               "rank": m.rank, "first": list(m.first)} for m in result.misses]
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    typer.echo(f"{result.cases:,} queries from {file}; the first {K} results of each")
    typer.echo(f"{'ranking':<44}{'MRR@10':>8}{'P@1':>8}{'nDCG@10':>9}")
    labels = {"deskui": "deskui (the knowledge search)", "raw_or": "raw full text, any word (engine ranking)",
              "raw_and": "raw full text, every word (engine ranking)"}
    for name, s in rows.items():
        typer.echo(f"{labels[name]:<44}{s.mrr:>8.3f}{s.p1:>8.3f}{s.ndcg:>9.3f}")
    if result.unknown_articles:
        typer.echo(f"not in this desk (published): {', '.join(result.unknown_articles[:10])}"
                   + (" …" if len(result.unknown_articles) > 10 else ""))
    if misses:
        for m in result.misses:
            typer.echo(f"  line {m.case.line}: {m.case.article} at {m.rank or '-'}: {m.case.query!r} "
                       f"-> {', '.join(m.first) or 'nothing'}")


@app.command("reindex")
def reindex() -> None:
    """Rebuild the article and ticket search indexes."""
    from deskui.services.knowledge import reindex as rebuild

    summary = rebuild(common.get_engine(), actor=common.get_actor())
    typer.echo(f"reindexed {summary.articles} articles and {summary.tickets} tickets")
