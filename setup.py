"""Two build steps that pyproject.toml cannot declare; the metadata stays there.

``build_py`` (run by ``pip install .``, ``python -m build`` and editable installs)
also

* compiles the translation catalogues with Babel's ``compile_catalog``
  (``.po`` -> ``.mo``), so that the app never writes into an installed package;
* copies the repository's top-level ``templates/`` into the package as
  ``readingroom/templates`` (``create_app`` uses that folder when it exists).

An editable install builds nothing into ``build/``: it compiles the catalogues
in place and the app reads ``templates/`` from the checkout.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from babel.messages.setuptools_frontend import compile_catalog
from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
PACKAGE = "readingroom"
TEMPLATES = "templates"  # top level in the repository, PACKAGE/templates when installed
TRANSLATIONS = f"{PACKAGE}/translations"


class BuildPy(build_py):
    def run(self) -> None:
        super().run()  # returns at once in editable mode
        if self.editable_mode:
            self.compile_catalogues(ROOT / TRANSLATIONS)
            return
        # build/lib outlives a build: drop templates since deleted or moved in the checkout.
        shutil.rmtree(Path(self.build_lib) / PACKAGE / TEMPLATES, ignore_errors=True)
        for target, source in self.template_mapping().items():
            self.mkpath(str(Path(target).parent))
            self.copy_file(source, target, preserve_mode=False)
        self.compile_catalogues(Path(self.build_lib) / TRANSLATIONS)

    def compile_catalogues(self, directory: Path) -> None:
        """Babel's compile_catalog on every <lang>/LC_MESSAGES/messages.po in ``directory``."""
        command = self.reinitialize_command("compile_catalog")
        command.directory = str(directory)
        command.statistics = True
        self.run_command("compile_catalog")
        for po in directory.glob("*/LC_MESSAGES/messages.po"):
            if not po.with_suffix(".mo").exists():  # compile_catalog skips a fuzzy catalogue
                raise SystemExit(f"{po} was not compiled: is its header marked fuzzy?")

    def template_mapping(self) -> dict[str, str]:
        """{file in build_lib: file in the repository} for every template."""
        target = Path(self.build_lib) / PACKAGE / TEMPLATES
        return {
            str(target / path.relative_to(ROOT / TEMPLATES)): str(path.relative_to(ROOT))
            for path in sorted((ROOT / TEMPLATES).rglob("*"))
            if path.is_file()
        }

    def catalogue_outputs(self) -> list[str]:
        return [
            str(Path(self.build_lib) / po.relative_to(ROOT).with_suffix(".mo"))
            for po in sorted((ROOT / TRANSLATIONS).glob("*/LC_MESSAGES/messages.po"))
        ]

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs = super().get_outputs(include_bytecode)
        if self.editable_mode:
            return outputs
        return [*outputs, *self.template_mapping(), *self.catalogue_outputs()]

    def get_output_mapping(self) -> dict[str, str]:
        return {**super().get_output_mapping(), **self.template_mapping()}

    def get_source_files(self) -> list[str]:
        return [*super().get_source_files(), *self.template_mapping().values()]


setup(cmdclass={"build_py": BuildPy, "compile_catalog": compile_catalog})
