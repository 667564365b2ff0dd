"""`symcat evaluate`: score embedding models on labelled images or the catalog's labels."""

from __future__ import annotations

import json
from pathlib import Path

import click

from symcat.cli import cli, friendly_errors, progress_default
from symcat.cli.browse import WHERE_HELP, where_expression
from symcat.cli.labels import label_errors
from symcat.config import Settings


@cli.command()
@click.argument("folder", required=False, type=click.Path(path_type=Path))
@click.option("-m", "--model", "models", multiple=True,
              help="Embedding model, repeatable (default: the default model).")
@click.option("--labels", "label_set", default=None, metavar="SET",
              help="Score the catalog's stored vectors against the human labels of SET.")
@click.option("-w", "--where", "where", multiple=True, metavar="EXPR", help=WHERE_HELP)
@click.option("--draws", type=int, default=10, show_default=True,
              help="Random label draws averaged per Poisson label rate.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of the table.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the JSON to this file.")
@click.pass_obj
@friendly_errors
@label_errors
def evaluate(settings: Settings, folder: Path | None, models: tuple[str, ...],
             label_set: str | None, where: tuple[str, ...], draws: int, seed: int,
             as_json: bool, out: Path | None) -> None:
    """Score embedding models: 10-fold SVM accuracy, precision@5, k-means/spectral ARI and
    Poisson accuracy at 1/5/10% labels, on FOLDER (images + labels.csv: file,label) or on
    the catalog's labels (--labels SET). See docs/labels.md."""
    from symcat.embed.registry import ExtractorUnavailable, UnknownExtractor, default_extractor
    from symcat.labels.evaluate import EvaluationError, format_table, score
    from symcat.labels.folder import FolderError

    if (folder is None) == (label_set is None):
        raise click.UsageError("give a FOLDER of labelled images, or --labels SET (not both)")
    names = list(models) or [default_extractor()]
    results = []
    skipped_all: list[tuple[str, str]] = []
    try:
        if folder is not None:
            from symcat.labels.folder import embed_folder, read_folder

            data = read_folder(folder)
            skipped_all = list(data.skipped)
            for name in names:
                vectors, skipped, (kept, model_id) = embed_folder(
                    data.images, name, progress=progress_default() and not as_json)
                result = score(vectors, [i.label for i in kept], model_id, draws=draws,
                               seed=seed)
                result.skipped = [{"file": f, "reason": r} for f, r in [*data.skipped,
                                                                        *skipped]]
                skipped_all += [s for s in skipped if s not in skipped_all]
                results.append(result)
        else:
            from symcat.client import Catalog
            from symcat.labels.evaluate import catalog_vectors

            engine = Catalog(settings=settings).engine
            for name in names:
                vectors, labels, model_id = catalog_vectors(engine, label_set or "", name,
                                                            where_expression(where))
                results.append(score(vectors, labels, model_id, draws=draws, seed=seed))
    except (FolderError, EvaluationError, UnknownExtractor, ExtractorUnavailable) as exc:
        raise click.ClickException(str(exc)) from exc
    except ImportError as exc:
        raise click.ClickException(f"symcat evaluate needs {exc.name}: "
                                   "pip install 'symcat[labels]'") from exc
    payload = [r.as_dict() for r in results]
    if out is not None:
        out.write_text(json.dumps(payload, indent=2))
    if as_json:
        click.echo(json.dumps(payload, indent=2))
        return
    click.echo(format_table(results))
    if skipped_all:
        click.echo(f"skipped {len(skipped_all)} file(s):")
        for name, reason in skipped_all:
            click.echo(f"  {name}: {reason}")
