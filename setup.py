"""The packages, and the Alembic revisions shipped inside the install (``ownersvote init`` runs
them from there when the app is installed without its source tree)."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["webapp*", "tally*", "crypto*"]), "ownersvote_migrations", "ownersvote_migrations.versions"],
    package_dir={"ownersvote_migrations": "migrations"},
    package_data={"ownersvote_migrations": ["script.py.mako", "*.ini"], "ownersvote_migrations.versions": ["*.py"]},
)
