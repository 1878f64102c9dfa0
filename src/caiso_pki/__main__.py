"""``python -m caiso_pki`` runs the command line."""

from caiso_pki.cli import console

console()
