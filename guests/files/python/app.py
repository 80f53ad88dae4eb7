"""The Python test service of parigot:files-test: the folders its wos grants it (WASI
preopens), through Python's own file API."""

import os
from typing import List

from componentize_py_types import Err
from wit_world import exports


class Files(exports.Files):
    def read(self, path: str) -> str:
        try:
            with open(path, encoding="utf-8") as file:
                return file.read()
        except OSError as error:
            raise Err(str(error)) from None

    def write(self, path: str, text: str) -> None:
        try:
            with open(path, "w", encoding="utf-8") as file:
                file.write(text)
        except OSError as error:
            raise Err(str(error)) from None

    def list(self, path: str) -> List[str]:
        try:
            return sorted(os.listdir(path))
        except OSError as error:
            raise Err(str(error)) from None
