"""Layer 2, training: tasks (toy and real models), runs, metrics, sweeps and pilots."""
