"""Calibration of the virtual NETTER-1 population as Bayesian inference (issue 14).

A Gaussian-process emulator of the simulator's summary statistics over a space-filling design
of population hyperparameters, a likelihood against the declared targets
(``experiments/targets/calibration.yaml``, docs/targets.md) that includes the targets'
published uncertainty, the simulator's Monte Carlo noise, the emulator's own uncertainty and a
declared model discrepancy, and an affine-invariant ensemble MCMC (emcee) on it.  The modules,
in the order they are used:

- :mod:`.space`: the calibrated hyperparameters, their prior ranges and how each is set in a
  config;
- :mod:`.summaries`: the summary statistics of one simulated trial (both arms);
- :mod:`.design`: the space-filling design and its simulation (common random numbers);
- :mod:`.emulator`: one Gaussian process per statistic (scikit-learn);
- :mod:`.likelihood`: the targets and the log-likelihood;
- :mod:`.posterior`: the MCMC (emcee) and the posterior as an ArviZ-layout Dataset;
- :mod:`.predictive`: posterior predictive statistics and the validation emulations;
- :mod:`.report`: ``experiments/results/calibration.md`` and its figures.

docs/calibration.md explains the method and its choices.
"""
