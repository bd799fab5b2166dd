"""``receipts media rehash``: perceptual hashes for images stored before hashing existed."""

from __future__ import annotations

from typing import Annotated

import typer

from receipts.cli.common import open_archive

media_app = typer.Typer(no_args_is_help=True, help="Stored media.")


@media_app.command("rehash")
def rehash(force: Annotated[bool, typer.Option("--force", help="Hash every stored image again.")] = False) -> None:
    """Compute the perceptual hash of every stored image that has none (new media are hashed when stored)."""
    from receipts.media_store import MediaStore

    hashed, skipped = MediaStore(open_archive()).rehash(force)
    typer.echo(f"hashed {hashed} image(s); {skipped} could not be read as images")


def register(app: typer.Typer) -> None:
    app.add_typer(media_app, name="media")
