"""Personal prediction: one patient's measurements -> Bayesian update over virtual twins ->
the rest of the course (docs/personal_prediction.md; ``prrt-sim-fit``)."""
