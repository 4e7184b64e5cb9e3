"""The classroom: everything that shows and exercises the library, for the notebooks.

``course``           is the library a learner studies (``Tensor``, ``nn``, ``data``, ``optim``,
``optim.lr_scheduler``, ``fit`` and ``lr_find``).  The classroom is built on it and the
library never imports it.  Import what a notebook needs by name::

    from course.classroom import landscapes, plots, trajectory, widgets

===================  ==========================================================
``landscapes``       2-D test functions: quadratic bowls, Rosenbrock, Beale, ...
``trajectory``       run an optimizer on a landscape and record its path
``rates``            convergence rates on a quadratic, from the eigenvalues
``plots``            the course's matplotlib figures, one look throughout
``diagrams``         drawings that are not data (the anatomy of a training loop)
``widgets``          slider explorers: optimizers, schedules, training, lr finder
``exercises``        the checkers of the notebooks' exercises
``playground``       the optimizer race of ``make play``
``tuning``           the race's lr tuning, shared by notebook 06 and the playground
``race``             06's race protocol: start sets, tune on one, score on another, ranks
``plateau_demo``     a noisy validation curve and ReduceLROnPlateau's timeline
``digits_runs``      the seeded digits MLP runs of notebooks 09-11
``memory_traffic``   why an optimizer step is memory-bound (notebook 11)
``preconditioning``  full-matrix AdaGrad, Shampoo's direction, optimizer state (12)
``sharpness``        the Hessian's top eigenvalue, the edge of stability (13)
``noise_scale``      the gradient-noise scale B_simple, the noise ball (13)
``progress_bar``     a progress bar that keeps nbval's outputs stable
===================  ==========================================================
"""
