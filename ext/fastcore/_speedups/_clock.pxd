# The monotonic clock of the kernels, as a C call (time.monotonic and
# loop.time() are Python calls; bench/load/callgrind_request.py,
# bench/load/callgrind_websocket.py).
#
# Inline only: cimported at compile time, no module of its own.

from posix.time cimport CLOCK_MONOTONIC, clock_gettime, timespec


cdef inline double monotonic_now() noexcept nogil:
    cdef timespec ts
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return <double>ts.tv_sec + <double>ts.tv_nsec * 1e-9
