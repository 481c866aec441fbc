"""MTFSim for Python."""
