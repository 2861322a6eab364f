# The C-level contract of the radix-tree router: insert and match only.
#
# Patterns are parsed, validated and checked for conflicts in Python
# (fastcore.routing); this module only stores the result and answers
# lookups. The connection protocol may cimport RadixTree and call match()
# at C speed.

cdef enum MatchStatus:
    MATCH_FOUND = 200
    MATCH_REDIRECT = 308
    MATCH_NOT_FOUND = 404
    MATCH_METHOD_NOT_ALLOWED = 405


cdef class RouteMatch:
    cdef readonly int status
    cdef readonly object route          # the Route, or None
    cdef readonly object endpoint       # the Route's endpoint, or None
    cdef readonly dict params           # converted parameter values by name
    cdef readonly tuple allowed         # allowed methods when the path matched
    cdef readonly str redirect_to       # the canonical raw path of a 308
    cdef readonly bint auto_options     # OPTIONS with no OPTIONS route: answer 204 + Allow


cdef enum:
    STATIC_LENGTHS = 256                # path lengths tracked by RadixTree._static_lengths


cdef class _Target:
    # One route at a leaf, for one method.
    cdef object route
    cdef object endpoint
    cdef tuple names            # parameter names in segment order
    cdef str label              # how dump() shows the route


cdef class RadixTree:
    cdef dict _static                   # decoded path -> leaf (exact-match fast path)
    cdef unsigned char _static_lengths[STATIC_LENGTHS]  # 1 where a static path has that length
    cdef object _root                   # the segment tree of dynamic routes
    cdef bint _finalized
    cdef readonly bint redirect_slashes

    cpdef RouteMatch match(self, str method, str path)
    cdef _Target static_target(self, str method, str path)
