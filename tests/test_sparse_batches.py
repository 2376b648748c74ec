"""The vectorised sparse-batch conversion gives Rasa's arrays exactly
(rasa_extensions/sparse_batches.py)."""

from __future__ import annotations

from typing import List

import numpy as np
import pytest
import scipy.sparse
from rasa.utils.tensorflow.model_data import FeatureArray

from rasa_extensions.sparse_batches import _rasa_conversion, scipy_matrices_to_values


def _feature_array(matrices: List[scipy.sparse.spmatrix]) -> FeatureArray:
    array = np.empty(len(matrices), dtype=object)
    array[:] = matrices
    return FeatureArray(array, number_of_dimensions=3)


def _random_matrices(seed: int, sparse_format: str) -> List[scipy.sparse.spmatrix]:
    rng = np.random.default_rng(seed)
    return [
        scipy.sparse.random(
            int(rng.integers(1, 20)), 500, density=0.05, format=sparse_format, dtype=np.float32, random_state=seed + i
        )
        for i in range(int(rng.integers(1, 40)))
    ]


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("sparse_format", ["coo", "csr"])
def test_conversion_matches_rasa(seed: int, sparse_format: str) -> None:
    features = _feature_array(_random_matrices(seed, sparse_format))
    # An example with no non-zero feature (a message of unknown words).
    features[0] = scipy.sparse.coo_matrix((3, 500), dtype=np.float32).asformat(sparse_format)
    expected = _rasa_conversion(features)
    actual = scipy_matrices_to_values(features)
    assert len(actual) == len(expected) == 3
    for ours, rasas in zip(actual, expected, strict=True):
        assert ours.dtype == rasas.dtype
        np.testing.assert_array_equal(ours, rasas)
