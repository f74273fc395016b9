"""The signature every transform has, built-in or the user's: (snapshot, params) to a result.

A module below the registry so that `user` (which the registry loads) need not import it back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from migrate.files import Snapshot
from migrate.model import TransformResult

TransformFn = Callable[[Snapshot, Mapping[str, Any]], TransformResult]
