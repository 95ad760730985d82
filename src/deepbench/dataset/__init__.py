"""Dataset pipeline: spec schema, planner and chunk runner, executors, HDF5 store, lazy view."""
