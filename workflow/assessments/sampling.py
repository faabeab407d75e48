"""The spot-check draw: reproducible from its seed, checkable by anyone.

The population is put in ascending id order first, so the draw depends only on the set of ids,
the sample size and the seed: `random.Random(seed).sample(sorted(population), size)`. Python
documents `Random` with an integer seed as reproducible across versions, which is what lets a
recorded draw be re-run years later.
"""

from __future__ import annotations

import hashlib
import json
import random
import secrets
from collections.abc import Sequence

#: seeds fit a signed 64-bit column on every backend
SEED_LIMIT = 2**63


def new_seed() -> int:
    """An unpredictable seed, so nobody can choose the units a draw will pick."""
    return secrets.randbelow(SEED_LIMIT)


def draw(population: Sequence[int], size: int, seed: int) -> list[int]:
    """The sample: `size` ids from the population, in the order drawn."""
    return random.Random(seed).sample(sorted(population), size)


def population_digest(population: Sequence[int]) -> str:
    """SHA-256 of the sorted ids as compact JSON: what the ledger keeps of a large population."""
    text = json.dumps(sorted(population), separators=(",", ":"))
    return hashlib.sha256(text.encode("ascii")).hexdigest()
