"""Core abstractions: parameter declarations, priors, the simulator base, registry, seeding, noise."""
