"""Video analytics at the edge (issue 14): cameras, the edge worker and its detectors, evidence, review, retention."""
