"""Face recognition (YuNet + SFace through OpenCV) and the in-memory 1:N index."""

import os

# One BLAS thread per request: on a 2-core gate server, multi-threaded GEMV for one
# query vector only contends with the other request threads (measured 12 ms vs 5 ms).
# Takes effect when numpy is first imported through this package (the app's case).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
