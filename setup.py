"""Ship kb/ and prompts/ inside the wheel as cliniq_agent/_data/ (see cliniq_agent/core/resources.py).

They live at the top of the source tree (rules and prompts are data, edited beside the code); an
editable install reads them there, a regular install from this copy."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPyWithData(build_py):
    def run(self) -> None:
        super().run()
        root = Path(__file__).resolve().parent
        target = Path(self.build_lib) / "cliniq_agent" / "_data"
        for name in ("kb", "prompts"):
            shutil.copytree(root / name, target / name, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__"))


setup(cmdclass={"build_py": BuildPyWithData})
