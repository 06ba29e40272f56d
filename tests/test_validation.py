"""Shared input checks: every message says what was expected, what arrived, and the fix."""

import numpy as np
import pytest

import nnmath as nm
from nnmath import _validation as v


def test_as_float_array_messages():
    with pytest.raises(TypeError, match=r"x must be an array of numbers, got NoneType"):
        v.as_float_array(None)
    with pytest.raises(TypeError, match="that NumPy cannot convert to float"):
        v.as_float_array([[1, 2], [3]])
    with pytest.raises(ValueError, match=r"Expected 2D array for X, got 1D array of shape \(3,\) "
                                         r"instead. Reshape your data with x.reshape\(-1, 1\)"):
        v.check_X([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"Expected 1D array for y, got 2D .* x.ravel\(\)"):
        v.as_float_array(np.zeros((3, 1)), "y", ndim=1)
    with pytest.raises(ValueError, match="X contains 2 NaN or infinite value"):
        v.check_X([[np.nan, np.inf]])
    with pytest.raises(ValueError, match=r"X has shape \(0, 2\): it needs at least one sample"):
        v.check_X(np.zeros((0, 2)))


def test_check_X_y_and_labels():
    X, y = v.check_X_y([[1.0], [2.0]], [0, 1])
    assert X.dtype == np.float64 and y.shape == (2,)
    with pytest.raises(ValueError, match="X has 2 rows, y has 3. Each row of X needs exactly one"):
        v.check_X_y(np.zeros((2, 1)), np.zeros(3))
    np.testing.assert_array_equal(v.check_labels([0.0, 2.0]), [0, 2])


def test_options_numbers_and_fitted():
    with pytest.raises(ValueError, match="Unknown optimizer 'adamw'. Expected one of: 'sgd'"):
        v.check_option("adamw", ["sgd", "adam"], "optimizer")
    with pytest.raises(ValueError, match="lr must be a finite number > 0, got -0.1"):
        v.check_positive(-0.1, "lr")
    with pytest.raises(TypeError, match="lr must be a number, got str"):
        v.check_positive("0.1", "lr")
    with pytest.raises(TypeError, match="epochs must be an integer, got float 2.5"):
        v.check_int(2.5, "epochs")
    with pytest.raises(ValueError, match="epochs must be an integer >= 1, got 0"):
        v.check_int(0, "epochs")

    class Model:
        pass

    with pytest.raises(nm.NotFittedError, match="This Model instance is not fitted yet"):
        v.check_is_fitted(Model())


def test_divergence_message_names_step_and_suggests_smaller_rate():
    assert v.check_finite_loss(1.5, 3) == 1.5
    with pytest.raises(nm.TrainingDiverged, match=r"diverged at step 7 with learning rate 2: the "
                                                  r"loss became inf. Try a smaller learning rate"):
        v.check_finite_loss(np.inf, 7, lr=2.0)
    assert issubclass(nm.TrainingDiverged, ArithmeticError)
