// Intentionally empty: this target only exposes <cblas.h> to Swift.
