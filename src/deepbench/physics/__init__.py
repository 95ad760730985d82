"""The physics family: one-dimensional (time-series) benchmark data with exact ground truth.

Simulators: ``physics.pendulum`` (exact, Jacobi elliptic functions), ``physics.oscillator``
(damped, driven; closed form), ``physics.hamiltonian_pendulum`` (symplectic), and
``physics.nbody`` and ``physics.double_pendulum`` (fixed-step high-order integrators whose energy
error is stored per sample in ``truth/max_energy_error``).

Series are ``(B, T)`` float64 per named output (batch axis first, then time); N-body positions and
velocities are ``(B, T, N, 3)``.
"""
