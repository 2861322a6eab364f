# cython: autotestdict=False
# The radix-tree router kernel: insert routes, then match (method, raw path).
#
# Layout: exact static paths live in one dict (a single hash lookup on the
# raw path when it has no "%"); dynamic routes live in a tree whose edges are
# whole path segments. At each node a static child is tried first, then the
# parameter edges in (weight, converter name) order, then a `path` edge that
# takes the rest. The search backtracks, so a deeper failure on the static
# branch still lets a parameter branch match; cost is bounded by the path's
# segment count and the branching at each level, never by the route count.
#
# A lookup never splits the path into strs: segments are (start, end) views
# into the request path, compared in place with static children and parsed in
# place by the int/float/uuid/slug converters. Only a path holding "%" is
# split and decoded first, one segment at a time, so "%2F" stays inside its
# segment. Values are made into objects only for the route that matches.
#
# Docstrings live in fastcore/_speedups/router.pyi; comments here say why.

cimport cython
from cpython.dict cimport PyDict_GetItem, PyDict_GetItemWithError, PyDict_SetItem
from cpython.long cimport PyLong_FromLongLong, PyLong_FromUnsignedLongLong
from cpython.object cimport PyObject
from cpython.ref cimport Py_INCREF, Py_XDECREF
from cpython.tuple cimport PyTuple_GET_ITEM, PyTuple_GET_SIZE
from cpython.unicode cimport (
    PyUnicode_AsUTF8AndSize,
    PyUnicode_DATA,
    PyUnicode_DecodeUTF8,
    PyUnicode_FindChar,
    PyUnicode_GET_LENGTH,
    PyUnicode_1BYTE_KIND,
    PyUnicode_KIND,
    PyUnicode_READ,
    PyUnicode_Substring,
)
from libc.stdlib cimport calloc, free, malloc
from libc.string cimport memchr, memcmp, memset

import uuid as _uuid_module

cdef object _UUID = _uuid_module.UUID
cdef object _SAFE_UNKNOWN = _uuid_module.SafeUUID.unknown
cdef object _object_setattr = object.__setattr__
cdef tuple _EMPTY = ()

# Converter kinds with a C fast path; user converters are KIND_CUSTOM.
cdef enum ConverterKind:
    KIND_STR = 0
    KIND_INT = 1
    KIND_FLOAT = 2
    KIND_UUID = 3
    KIND_SLUG = 4
    KIND_PATH = 5
    KIND_CUSTOM = 6

cdef dict _KINDS = {
    "str": KIND_STR, "int": KIND_INT, "float": KIND_FLOAT, "uuid": KIND_UUID,
    "slug": KIND_SLUG, "path": KIND_PATH, "custom": KIND_CUSTOM,
}

# A path segment seen in place: characters [start, end) of `text`, which is
# the request path itself (no "%") or one decoded segment. `text` is borrowed:
# the caller keeps it alive for the whole search.
cdef struct Segment:
    PyObject *text
    Py_ssize_t start
    Py_ssize_t end

# Segment views live on the C stack up to this many; longer paths malloc.
cdef enum:
    STACK_SEGMENTS = 48
    # Up to this many static children a node scans signatures; above, it
    # probes its own hash table of the children's text (no str is made for
    # the segment), so lookup cost never grows with the route count.
    LINEAR_STATIC_CHILDREN = 8
    # The most parameters a route may have (fastcore.routing checks it first):
    # their values sit in a fixed array during the search.
    MAX_PARAMS = 32


# The state of one search, on the C stack so match() allocates nothing for it
# and stays re-entrant (a user converter may itself call match()).
cdef struct SearchState:
    PyObject *method            # borrowed
    int method_index            # _method_index(method)
    PyObject *raw               # borrowed: the request path, or NULL once decoded
    PyObject *decoded           # borrowed list of decoded segments, or NULL
    PyObject *target            # borrowed _Target (the tree owns it), once found
    PyObject *matched           # owned list of leaves matching the path but not the method
    Segment *segments           # the path's segment views
    Py_ssize_t count            # values held
    # Owned converted values on the current branch; NULL stands for the
    # segment's own text, made into a str only on success.
    PyObject *values[MAX_PARAMS]
    Py_ssize_t sources[MAX_PARAMS]  # the segment index of each value

# The methods a leaf answers through a C array instead of a dict lookup.
cdef enum:
    COMMON_METHODS = 7
cdef tuple _COMMON = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")


cdef inline int _method_index(str method) noexcept:
    # PERF: request methods are rarely the same str objects as the leaf's
    # keys, so a dict lookup would hash and compare; comparing a few bytes to
    # the common methods is cheaper (bench_router: github found).
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(method)
    cdef const char *text
    if PyUnicode_KIND(method) != 1 or n < 3 or n > 7:
        return -1
    text = <const char *>PyUnicode_DATA(method)
    if n == 3:
        if memcmp(text, b"GET", 3) == 0:
            return 0
        if memcmp(text, b"PUT", 3) == 0:
            return 3
    elif n == 4:
        if memcmp(text, b"HEAD", 4) == 0:
            return 1
        if memcmp(text, b"POST", 4) == 0:
            return 2
    elif n == 6:
        if memcmp(text, b"DELETE", 6) == 0:
            return 4
    elif n == 5:
        if memcmp(text, b"PATCH", 5) == 0:
            return 5
    elif n == 7:
        if memcmp(text, b"OPTIONS", 7) == 0:
            return 6
    return -1


cdef inline PyObject *_target_for(_Leaf leaf, str method, int index):
    # A borrowed _Target, or NULL.
    if index >= 0:
        return leaf.by_method[index]
    return PyDict_GetItem(leaf.targets, method)


# A unique sentinel: converters return it instead of raising on a mismatch,
# because exceptions cost microseconds on a path that fails often.
cdef object _NO_MATCH = object()
# Another: the value is the segment's text itself. PERF: the str is only made
# once the whole route has matched, so misses and backtracking allocate
# nothing (bench_router: github 404).
cdef object _SEGMENT_TEXT = object()


@cython.final
@cython.auto_pickle(False)
@cython.freelist(32)
cdef class RouteMatch:

    def __init__(self, int status, route=None, endpoint=None, params=None,
                 allowed=(), redirect_to=None, bint auto_options=False):
        self.status = status
        self.route = route
        self.endpoint = endpoint
        self.params = {} if params is None else dict(params)
        self.allowed = tuple(allowed)
        self.redirect_to = redirect_to
        self.auto_options = auto_options

    def __repr__(self):
        return (
            f"RouteMatch(status={self.status!r}, route={self.route!r}, "
            f"params={self.params!r}, allowed={self.allowed!r}, "
            f"redirect_to={self.redirect_to!r}, auto_options={self.auto_options!r})"
        )


cdef RouteMatch _new_match(int status, object route, object endpoint, dict params,
                           tuple allowed, str redirect_to, bint auto_options):
    # PERF: skips __init__ and its argument parsing (bench_router: found paths).
    cdef RouteMatch m = RouteMatch.__new__(RouteMatch)
    m.status = status
    m.route = route
    m.endpoint = endpoint
    m.params = params
    m.allowed = allowed
    m.redirect_to = redirect_to
    m.auto_options = auto_options
    return m


cdef extern from *:
    """
    #include <structmember.h>
    /* Replace a type's read-only property by a member descriptor for an
       object field at `offset` (never NULL: tp_new sets it to None). */
    static int fastcore_router_slot_attribute(PyTypeObject *type, PyMemberDef *member) {
        PyObject *descriptor = PyDescr_NewMember(type, member);
        int result;
        if (descriptor == NULL) return -1;
        result = PyDict_SetItemString(type->tp_dict, member->name, descriptor);
        Py_DECREF(descriptor);
        PyType_Modified(type);
        return result;
    }
    """
    ctypedef struct PyMemberDef:
        const char *name
        int type
        Py_ssize_t offset
        int flags
        const char *doc
    enum:
        T_OBJECT_EX
        READONLY
    int fastcore_router_slot_attribute(type cls, PyMemberDef *member) except -1


# PERF: Cython exposes a readonly field as a property, which CPython reads
# through the generic attribute lookup and a getter call; a member
# descriptor is read by the interpreter's specialised slot load instead
# (m.endpoint and m.params: bench/micro/callgrind_router.py).
cdef PyMemberDef _slot_members[5]


cdef int _install_slot_attributes() except -1:
    # Cython cannot name a field's offset, so each one is found by putting a
    # distinct marker object in it and scanning the instance for its address.
    cdef RouteMatch probe = RouteMatch.__new__(RouteMatch)
    cdef PyObject **words = <PyObject **><PyObject *>probe
    cdef Py_ssize_t i, j, size = (<object>RouteMatch).__basicsize__ // sizeof(PyObject *)
    markers = [object() for _ in range(5)]
    probe.route, probe.endpoint, probe.params, probe.allowed, probe.redirect_to = (
        markers[0], markers[1], {}, (markers[3],), f"{id(markers[4])}")
    markers[2], markers[3], markers[4] = probe.params, probe.allowed, probe.redirect_to
    names = (b"route", b"endpoint", b"params", b"allowed", b"redirect_to")
    for i in range(5):
        for j in range(size):
            if words[j] == <PyObject *>markers[i]:
                break
        else:
            raise RuntimeError(f"RouteMatch.{names[i].decode()}: field not found")
        _slot_members[i].name = <const char *>(<bytes>names[i])
        _slot_members[i].type = T_OBJECT_EX
        _slot_members[i].offset = j * sizeof(PyObject *)
        _slot_members[i].flags = READONLY
        _slot_members[i].doc = NULL
        fastcore_router_slot_attribute(RouteMatch, &_slot_members[i])
    return 0


_install_slot_attributes()


# PERF: every 404 is this one object, so a miss allocates nothing (no
# RouteMatch, no params dict; bench/micro/callgrind_router.py: 404). A
# RouteMatch is read-only; its empty params are never filled in.
cdef RouteMatch _NOT_FOUND = _new_match(MATCH_NOT_FOUND, None, None, {}, _EMPTY, None, False)


@cython.final
@cython.auto_pickle(False)
cdef class _Target:
    pass  # fields in router.pxd


@cython.final
@cython.auto_pickle(False)
cdef class _Leaf:
    # The routes that end at one node, by method (HEAD falls back to GET).
    cdef dict targets
    cdef PyObject *by_method[COMMON_METHODS]    # borrowed from targets, by _method_index
    cdef tuple allowed          # sorted, computed by finalize()

    def __cinit__(self):
        self.targets = {}
        for i in range(COMMON_METHODS):
            self.by_method[i] = NULL
        self.allowed = _EMPTY


@cython.final
@cython.auto_pickle(False)
cdef class _Edge:
    # A parameter edge: one converter at one place in the tree.
    cdef int kind
    cdef int weight
    cdef str label              # the converter name, which also keys the edge
    cdef object convert         # Converter.convert for KIND_CUSTOM, else None
    cdef _Node child


# finalize(): a node's parameter edges as a C array, so the search reads kind
# and child without touching a list or a reference count.
cdef struct EdgeSlot:
    int kind
    PyObject *edge              # borrowed _Edge (the node's `params` list owns it)
    PyObject *child             # borrowed _Node (the edge owns it)


@cython.final
@cython.auto_pickle(False)
cdef class _Node:
    cdef dict static            # decoded segment -> _Node, None while empty
    cdef tuple static_keys      # finalize(): the keys of `static`, for in-place compares
    cdef tuple static_nodes     # finalize(): the matching children
    cdef unsigned long long *static_signatures  # finalize(): length << 32 | first char
    cdef int *static_table      # finalize(), wide nodes: open addressing, child index + 1
    cdef size_t static_mask     # the table's size - 1 (a power of two)
    cdef list params            # _Edge list (not path), sorted by finalize()
    cdef _Edge path_edge        # the `path` edge: it consumes the rest
    cdef _Leaf leaf
    # finalize(): bit k is set when some leaf lies exactly k segments below
    # this node (bit 63: 63 or more; a `path` edge sets every bit from 1).
    # PERF: a branch whose leaves all sit at other depths than the path's
    # remaining segment count is skipped before its converters run, so a 404
    # rarely backtracks (bench/micro/callgrind_router.py: 404).
    cdef unsigned long long depths
    cdef EdgeSlot *edge_slots   # finalize(): `params` in order
    cdef Py_ssize_t edge_count

    def __cinit__(self):
        self.static = None
        self.params = []
        self.static_signatures = NULL
        self.static_table = NULL
        self.depths = 0
        self.edge_slots = NULL
        self.edge_count = 0

    def __dealloc__(self):
        free(self.static_signatures)
        free(self.static_table)
        free(self.edge_slots)


cdef enum:
    DEPTH_BITS = 63                     # the saturating bit of _Node.depths


cdef inline bint _reaches(PyObject *node, Py_ssize_t remaining) noexcept:
    # Whether a leaf may lie exactly `remaining` segments below `node` (a
    # borrowed _Node).
    if remaining > DEPTH_BITS:
        remaining = DEPTH_BITS
    return ((<_Node>node).depths >> remaining) & 1


cdef inline unsigned long long _deeper(unsigned long long depths) noexcept:
    # A child's depths seen from its parent: one segment further, saturating.
    return (depths << 1) | (depths & (1ULL << DEPTH_BITS))


# --- segment converters ------------------------------------------------------
# Each one reads the segment in place and returns the value, or _NO_MATCH.
# Only values that are strings allocate a str (a substring of the view).

cdef inline bint _is_digit(Py_UCS4 c) noexcept:
    return c >= 48 and c <= 57   # '0'..'9'


cdef inline int _hex_value(Py_UCS4 c) noexcept:
    if c >= 48 and c <= 57:
        return <int>c - 48
    if c >= 97 and c <= 102:     # 'a'..'f'
        return <int>c - 87
    if c >= 65 and c <= 70:      # 'A'..'F'
        return <int>c - 55
    return -1


cdef inline str _text_of(Segment *seg):
    # PyUnicode_Substring returns `text` itself when the view covers all of it.
    return PyUnicode_Substring(<object>seg.text, seg.start, seg.end)


cdef object _convert_int(Segment *seg):
    cdef object text = <object>seg.text
    cdef int kind = PyUnicode_KIND(text)
    cdef void *data = PyUnicode_DATA(text)
    # Unsigned: past 19 digits the sum wraps (defined behaviour; signed overflow
    # is undefined, UBSan found it by fuzzing) and is not used.
    cdef unsigned long long value = 0
    cdef Py_ssize_t i
    cdef Py_UCS4 c
    for i in range(seg.start, seg.end):
        c = PyUnicode_READ(kind, data, i)
        if not _is_digit(c):
            return _NO_MATCH
        value = value * 10 + <unsigned long long>(<int>c - 48)
    # 18 digits always fit in a signed 64-bit integer; longer ones go to int().
    if seg.end - seg.start <= 18:
        return PyLong_FromLongLong(<long long>value)
    return int(_text_of(seg))


cdef object _convert_float(Segment *seg):
    cdef object text = <object>seg.text
    cdef int kind = PyUnicode_KIND(text)
    cdef void *data = PyUnicode_DATA(text)
    cdef Py_ssize_t i, digits = 0, point = -1
    cdef Py_UCS4 c
    # Grammar: [0-9]+ ( "." [0-9]+ )?  -- no sign, exponent, inf or nan, so a
    # URL has one spelling per value family and never surprises a handler.
    for i in range(seg.start, seg.end):
        c = PyUnicode_READ(kind, data, i)
        if _is_digit(c):
            digits += 1
        elif c == 46 and point < 0 and digits > 0:   # '.'
            point = i
        else:
            return _NO_MATCH
    if digits == 0 or point == seg.end - 1:
        return _NO_MATCH
    return float(_text_of(seg))


cdef object _convert_uuid(Segment *seg):
    cdef object text = <object>seg.text
    cdef int kind, nibble, taken = 0
    cdef void *data
    cdef Py_ssize_t i
    cdef Py_UCS4 c
    cdef unsigned long long high = 0, low = 0
    if seg.end - seg.start != 36:
        return _NO_MATCH
    kind = PyUnicode_KIND(text)
    data = PyUnicode_DATA(text)
    for i in range(36):
        c = PyUnicode_READ(kind, data, seg.start + i)
        if i == 8 or i == 13 or i == 18 or i == 23:
            if c != 45:          # '-'
                return _NO_MATCH
            continue
        nibble = _hex_value(c)
        if nibble < 0:
            return _NO_MATCH
        # 32 hex digits: the first 16 fill the high word, the rest the low one.
        if taken < 16:
            high = (high << 4) | <unsigned long long>nibble
        else:
            low = (low << 4) | <unsigned long long>nibble
        taken += 1
    # PERF: UUID(str) re-parses the text in Python; setting the two slots the
    # way UUID.__init__ does costs a fraction (bench_router: uuid paths).
    value = (PyLong_FromUnsignedLongLong(high) << 64) | PyLong_FromUnsignedLongLong(low)
    result = _UUID.__new__(_UUID)
    _object_setattr(result, "int", value)
    _object_setattr(result, "is_safe", _SAFE_UNKNOWN)
    return result


cdef object _convert_slug(Segment *seg):
    cdef object text = <object>seg.text
    cdef int kind = PyUnicode_KIND(text)
    cdef void *data = PyUnicode_DATA(text)
    cdef Py_ssize_t i
    cdef Py_UCS4 c
    for i in range(seg.start, seg.end):
        c = PyUnicode_READ(kind, data, i)
        if not (_is_digit(c) or (c >= 97 and c <= 122) or (c >= 65 and c <= 90)
                or c == 45 or c == 95):     # '-' '_'
            return _NO_MATCH
    return _SEGMENT_TEXT


cdef object _convert(_Edge edge, Segment *seg):
    # Every caller has already refused the empty segment.
    if edge.kind == KIND_STR:
        return _SEGMENT_TEXT
    if edge.kind == KIND_INT:
        return _convert_int(seg)
    if edge.kind == KIND_FLOAT:
        return _convert_float(seg)
    if edge.kind == KIND_UUID:
        return _convert_uuid(seg)
    if edge.kind == KIND_SLUG:
        return _convert_slug(seg)
    # A user converter signals "no match" with ValueError (documented); any
    # other exception is a bug in it and propagates to the App's 500 handler.
    try:
        return edge.convert(_text_of(seg))
    except ValueError:
        return _NO_MATCH


cdef inline bint _segment_equals(Segment *seg, str key) noexcept:
    cdef Py_ssize_t length = seg.end - seg.start
    if PyUnicode_GET_LENGTH(key) != length:
        return False
    return _segment_text_equals(seg, key, length)


cdef bint _segment_text_equals(Segment *seg, str key, Py_ssize_t length) noexcept:
    # Lengths are equal.
    cdef Py_ssize_t i
    cdef object text = <object>seg.text
    cdef int kind = PyUnicode_KIND(text), key_kind = PyUnicode_KIND(key)
    cdef void *data = PyUnicode_DATA(text)
    cdef void *key_data = PyUnicode_DATA(key)
    if kind == key_kind:
        # Same storage width: compare the raw code-unit bytes.
        return memcmp(<char *>data + seg.start * kind, key_data, length * kind) == 0
    for i in range(length):
        if PyUnicode_READ(kind, data, seg.start + i) != PyUnicode_READ(key_kind, key_data, i):
            return False
    return True


cdef inline unsigned long long _signature(Py_ssize_t length, Py_UCS4 first) noexcept:
    return (<unsigned long long>length << 32) | <unsigned long long>first


cdef inline size_t _text_hash(object text, Py_ssize_t start, Py_ssize_t end) noexcept:
    # FNV-1a over code points, so a key and a segment hash alike whatever
    # their storage width (a 1-byte path against a wider key, or the reverse).
    cdef int kind = PyUnicode_KIND(text)
    cdef void *data = PyUnicode_DATA(text)
    cdef size_t h = 14695981039346656037ULL
    cdef Py_ssize_t i
    for i in range(start, end):
        h = (h ^ <size_t>PyUnicode_READ(kind, data, i)) * 1099511628211ULL
    return h


cdef PyObject *_static_child(_Node node, Segment *seg) noexcept:
    # A borrowed child node, or NULL.
    cdef Py_ssize_t count, i, length = seg.end - seg.start
    cdef unsigned long long wanted
    cdef size_t slot
    cdef int entry
    cdef object text
    if node.static_signatures == NULL:
        return NULL
    text = <object>seg.text
    if node.static_table != NULL:
        # PERF: wide nodes (GitHub's /repos/{owner}/{repo}/... has ~70
        # children) probe a C table instead of making a str to look up in a
        # dict: no allocation and no siphash (bench/micro/callgrind_router.py).
        slot = _text_hash(text, seg.start, seg.end) & node.static_mask
        while True:
            entry = node.static_table[slot]
            if entry == 0:
                return NULL
            if _segment_equals(seg, <str>PyTuple_GET_ITEM(node.static_keys, entry - 1)):
                return PyTuple_GET_ITEM(node.static_nodes, entry - 1)
            slot = (slot + 1) & node.static_mask
    wanted = _signature(length, PyUnicode_READ(PyUnicode_KIND(text), PyUnicode_DATA(text),
                                               seg.start) if length else 0)
    count = PyTuple_GET_SIZE(node.static_keys)
    # PERF: a tight scan of (length, first character) signatures rejects
    # siblings without touching their strings; no str is allocated for the
    # segment and nothing is hashed (bench_router: github found).
    for i in range(count):
        if node.static_signatures[i] == wanted and \
                _segment_equals(seg, <str>PyTuple_GET_ITEM(node.static_keys, i)):
            return PyTuple_GET_ITEM(node.static_nodes, i)
    return NULL


cdef bint _is_safe_relative(str value):
    # SECURITY: a `path` value is joined to directories by handlers, so it must
    # not be absolute, hold NUL, or have a ".." component once decoded (RFC 3986
    # section 5.2.4 dot segments; "\\" too, for code that treats it as a separator).
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(value), i, start = 0
    cdef int kind = PyUnicode_KIND(value)
    cdef void *data = PyUnicode_DATA(value)
    cdef Py_UCS4 c
    if n == 0:
        return False
    c = PyUnicode_READ(kind, data, 0)
    if c == 47 or c == 92:       # '/' '\\'
        return False
    for i in range(n + 1):
        c = PyUnicode_READ(kind, data, i) if i < n else 47
        if c == 0:
            return False
        if c == 47 or c == 92:
            if i - start == 2 and PyUnicode_READ(kind, data, start) == 46 \
                    and PyUnicode_READ(kind, data, start + 1) == 46:
                return False
            start = i + 1
    return True


cdef str _unquote_segment(str seg):
    # Percent-decodes one segment as UTF-8; "%" not followed by two hex digits
    # stays literal. Invalid UTF-8 raises UnicodeDecodeError (the caller turns
    # it into a 404). Decoding per segment keeps "%2F" inside its segment.
    cdef Py_ssize_t size, i = 0, j = 0
    cdef const char *src = PyUnicode_AsUTF8AndSize(seg, &size)
    cdef char *buf = <char *>malloc(size + 1)
    cdef int high, low
    if buf == NULL:
        raise MemoryError()
    try:
        while i < size:
            if src[i] == 37 and i + 2 < size:   # '%'
                high = _hex_value(<unsigned char>src[i + 1])
                low = _hex_value(<unsigned char>src[i + 2])
                if high >= 0 and low >= 0:
                    buf[j] = <char>(high * 16 + low)
                    i += 3
                    j += 1
                    continue
            buf[j] = src[i]
            i += 1
            j += 1
        return PyUnicode_DecodeUTF8(buf, j, NULL)
    finally:
        free(buf)


cdef list _split_decoded(str path):
    # The raw path split on "/" with each segment percent-decoded (the empty
    # text before the leading "/" is dropped).
    cdef list segments = path[1:].split("/")
    cdef Py_ssize_t i
    for i in range(len(segments)):
        seg = <str>segments[i]
        if PyUnicode_FindChar(seg, 37, 0, PyUnicode_GET_LENGTH(seg), 1) >= 0:
            segments[i] = _unquote_segment(seg)
    return segments


cdef tuple _union_allowed(list leaves):
    cdef set methods
    # PERF: one matching leaf (the usual 405) already has its sorted tuple.
    if len(leaves) == 1:
        return (<_Leaf>leaves[0]).allowed
    methods = set()
    for leaf in leaves:
        methods.update((<_Leaf>leaf).allowed)
    return tuple(sorted(methods))


cdef dict _build_params(_Target target, SearchState *state):
    cdef Py_ssize_t i
    cdef dict params
    if state.count == 0:
        return {}
    params = {}
    for i in range(state.count):
        name = <object>PyTuple_GET_ITEM(target.names, i)
        if state.values[i] == NULL:
            PyDict_SetItem(params, name, _text_of(&state.segments[state.sources[i]]))
        else:
            PyDict_SetItem(params, name, <object>state.values[i])
    return params


# --- the tree ------------------------------------------------------------------

@cython.final
@cython.auto_pickle(False)
cdef class RadixTree:

    def __cinit__(self):
        self._static = {}
        memset(self._static_lengths, 0, STATIC_LENGTHS)
        self._root = _Node()
        self._finalized = False
        self.redirect_slashes = False

    def __init__(self, bint redirect_slashes=False):
        self.redirect_slashes = redirect_slashes

    def insert(self, tuple segments, str method, object route, object endpoint,
               tuple names, str label):
        cdef _Leaf leaf
        cdef _Target target
        if self._finalized:
            raise RuntimeError("RadixTree.insert() after finalize()")
        for item in segments:
            if type(item) is not str:
                leaf = _leaf_for(<_Node>self._root, segments)
                break
        else:
            key = "/" + "/".join(segments)
            if len(key) < STATIC_LENGTHS:
                self._static_lengths[len(key)] = 1
            leaf = self._static.get(key)
            if leaf is None:
                leaf = self._static[key] = _Leaf()
        if method in leaf.targets:
            raise ValueError(f"{method} {label}: a route is already inserted there")
        target = _Target.__new__(_Target)
        target.route = route
        target.endpoint = endpoint
        if len(names) > MAX_PARAMS:
            raise ValueError(f"{label}: more than {MAX_PARAMS} parameters")
        target.names = names
        target.label = label
        leaf.targets[method] = target

    def finalize(self):
        for leaf in self._static.values():
            _finalize_leaf(<_Leaf>leaf)
        _finalize_node(<_Node>self._root)
        self._finalized = True

    cpdef RouteMatch match(self, str method, str path):
        if not self._finalized:
            raise RuntimeError("RadixTree.match() before finalize()")
        cdef RouteMatch result = _lookup(self, method, path)
        if result.status == MATCH_NOT_FOUND and self.redirect_slashes:
            other = _toggle_trailing_slash(path)
            if other is not None and _lookup(self, method, other).status != MATCH_NOT_FOUND:
                return _new_match(MATCH_REDIRECT, None, None, {}, _EMPTY, other, False)
        return result

    cdef _Target static_target(self, str method, str path):
        # The route for `method` at the static `path` (no '%'), or None: what
        # match() finds first, without its RouteMatch (PERF: the protocol's
        # plain match of a static route; bench/load/callgrind_request.py).
        cdef Py_ssize_t n = PyUnicode_GET_LENGTH(path)
        cdef PyObject* found
        if not self._finalized or n >= STATIC_LENGTHS or not self._static_lengths[n]:
            return None
        if _has_percent(path, PyUnicode_KIND(path), PyUnicode_DATA(path), n):
            return None
        found = PyDict_GetItemWithError(self._static, path)
        if found == NULL:
            return None
        found = _target_for(<_Leaf>found, method, _method_index(method))
        if found == NULL:
            return None
        return <_Target>found

    def dump(self):
        lines = ["static routes:"]
        for key in sorted(self._static):
            lines.append(f"  {key}  {_describe(<_Leaf>self._static[key])}")
        lines.append("dynamic tree:")
        _dump_node(<_Node>self._root, 1, lines)
        return "\n".join(lines) + "\n"


cdef _Leaf _leaf_for(_Node root, tuple segments):
    cdef _Node node = root, child
    cdef _Edge edge
    for item in segments:
        if type(item) is str:
            if node.static is None:
                node.static = {}
            child = node.static.get(item)
            if child is None:
                child = node.static[item] = _Node()
            node = child
            continue
        kind_name, weight, label, convert = item
        kind = _KINDS[kind_name]
        if kind == KIND_PATH:
            if node.path_edge is None:
                node.path_edge = _new_edge(kind, weight, label, convert)
            edge = node.path_edge
        else:
            # One edge per converter name: "/a/{x}" and "/a/{y}" share it and
            # differ only in the names stored on their targets.
            edge = None
            for existing in node.params:
                if (<_Edge>existing).label == label:
                    edge = <_Edge>existing
                    break
            if edge is None:
                edge = _new_edge(kind, weight, label, convert)
                node.params.append(edge)
        node = edge.child
    if node.leaf is None:
        node.leaf = _Leaf()
    return node.leaf


cdef _Edge _new_edge(int kind, int weight, str label, object convert):
    cdef _Edge edge = _Edge.__new__(_Edge)
    edge.kind = kind
    edge.weight = weight
    edge.label = label
    edge.convert = convert
    edge.child = _Node()
    return edge


def _edge_order(_Edge edge):
    return (edge.weight, edge.label)


cdef int _finalize_leaf(_Leaf leaf) except -1:
    # HEAD is served by the GET route unless one is defined (RFC 9110 9.3.2).
    if "GET" in leaf.targets and "HEAD" not in leaf.targets:
        leaf.targets["HEAD"] = leaf.targets["GET"]
    # OPTIONS is always answered, by a route or automatically.
    leaf.allowed = tuple(sorted({*leaf.targets, "OPTIONS"}))
    for i in range(COMMON_METHODS):
        found = leaf.targets.get(_COMMON[i])
        leaf.by_method[i] = <PyObject *>found if found is not None else NULL
    return 0


cdef int _finalize_node(_Node node) except -1:
    # Registration order must not matter: order edges by weight, then name.
    node.params.sort(key=_edge_order)
    if node.static is not None:
        node.static_keys = tuple(node.static)
        node.static_nodes = tuple(node.static.values())
        node.static_signatures = <unsigned long long *>malloc(
            len(node.static_keys) * sizeof(unsigned long long))
        if node.static_signatures == NULL:
            raise MemoryError()
        for i, key in enumerate(node.static_keys):
            node.static_signatures[i] = _signature(len(key), ord(key[0]) if key else 0)
        if len(node.static_keys) > LINEAR_STATIC_CHILDREN:
            _build_static_table(node)
    node.depths = 0
    node.edge_count = 0
    if node.leaf is not None:
        _finalize_leaf(node.leaf)
        node.depths = 1
    if node.static is not None:
        for child in node.static.values():
            _finalize_node(<_Node>child)
            node.depths |= _deeper((<_Node>child).depths)
    free(node.edge_slots)
    node.edge_slots = NULL
    if node.params:
        node.edge_slots = <EdgeSlot *>malloc(len(node.params) * sizeof(EdgeSlot))
        if node.edge_slots == NULL:
            raise MemoryError()
    for edge in node.params:
        _finalize_node((<_Edge>edge).child)
        node.depths |= _deeper((<_Edge>edge).child.depths)
        node.edge_slots[node.edge_count].kind = (<_Edge>edge).kind
        node.edge_slots[node.edge_count].edge = <PyObject *>edge
        node.edge_slots[node.edge_count].child = <PyObject *>(<_Edge>edge).child
        node.edge_count += 1
    if node.path_edge is not None:
        _finalize_node(node.path_edge.child)
        # The rest of the path is one segment or more.
        node.depths |= ~1ULL
    return 0


cdef int _build_static_table(_Node node) except -1:
    # At most half full, so a probe for an absent segment ends soon.
    cdef size_t size = 16, slot
    cdef Py_ssize_t count = len(node.static_keys), i
    while size < <size_t>(2 * count):
        size *= 2
    node.static_table = <int *>calloc(size, sizeof(int))
    if node.static_table == NULL:
        raise MemoryError()
    node.static_mask = size - 1
    for i in range(count):
        key = <str>node.static_keys[i]
        slot = _text_hash(key, 0, len(key)) & node.static_mask
        while node.static_table[slot] != 0:
            slot = (slot + 1) & node.static_mask
        node.static_table[slot] = <int>(i + 1)
    return 0


cdef inline bint _has_percent(str path, int kind, void* data, Py_ssize_t n) noexcept:
    # PERF: a request path is short and (a parsed target) one byte per
    # character: a plain scan costs less than PyUnicode_FindChar's call
    # (bench/load/callgrind_request.py).
    if kind == PyUnicode_1BYTE_KIND:
        return memchr(data, 37, n) != NULL
    return PyUnicode_FindChar(path, 37, 0, n, 1) >= 0


cdef RouteMatch _lookup(RadixTree tree, str method, str path):
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(path), count = 0, i, start
    cdef int kind = PyUnicode_KIND(path)
    cdef void *data = PyUnicode_DATA(path)
    cdef PyObject *found
    cdef _Leaf static_leaf = None
    cdef _Target target
    cdef list decoded = None
    cdef str text
    cdef Segment stack_segments[STACK_SEGMENTS]
    cdef Segment *segments = stack_segments
    cdef const char *slash
    cdef int method_index = _method_index(method)
    if n == 0 or PyUnicode_READ(kind, data, 0) != 47:   # must start with '/'
        return _NOT_FOUND
    if not _has_percent(path, kind, data, n):   # no '%': raw == decoded
        # PERF: one hash lookup for static routes (bench_router: static set).
        # PERF: skip hashing the path when no static route has its length
        # (lengths from STATIC_LENGTHS up are not tracked: always looked up).
        if n >= STATIC_LENGTHS or tree._static_lengths[n]:
            found = PyDict_GetItemWithError(tree._static, path)
        else:
            found = NULL
        if found != NULL:
            static_leaf = <_Leaf>found
            found = _target_for(static_leaf, method, method_index)
            if found != NULL:
                target = <_Target>found
                return _new_match(MATCH_FOUND, target.route, target.endpoint, {},
                                  _EMPTY, None, False)
    else:
        try:
            decoded = _split_decoded(path)
        except UnicodeDecodeError:
            return _NOT_FOUND
        # A decoded "/" lives inside a segment, so it can never equal a
        # static route's text: only join when no segment holds one.
        for item in decoded:
            text = <str>item
            if PyUnicode_FindChar(text, 47, 0, PyUnicode_GET_LENGTH(text), 1) >= 0:
                break
        else:
            found = PyDict_GetItem(tree._static, "/" + "/".join(decoded))
            if found != NULL:
                static_leaf = <_Leaf>found
                found = _target_for(static_leaf, method, method_index)
                if found != NULL:
                    target = <_Target>found
                    return _new_match(MATCH_FOUND, target.route, target.endpoint, {},
                                      _EMPTY, None, False)
    if (<_Node>tree._root).depths == 0 and static_leaf is None:
        return _NOT_FOUND
    # A path has at most n segments (one per "/"); n is small for real paths.
    if n > STACK_SEGMENTS:
        segments = <Segment *>malloc(n * sizeof(Segment))
        if segments == NULL:
            raise MemoryError()
    try:
        if decoded is None:
            # PERF: segments are views into the path; no str per segment
            # (bench_router: github found).
            start = 1
            if kind == 1:
                # Request paths are ASCII (1 byte per character): memchr scans.
                while True:
                    slash = <const char *>memchr(<const char *>data + start, 47, n - start)
                    i = n if slash == NULL else slash - <const char *>data
                    segments[count].text = <PyObject *>path
                    segments[count].start = start
                    segments[count].end = i
                    count += 1
                    if slash == NULL:
                        break
                    start = i + 1
            else:
                for i in range(1, n + 1):
                    if i == n or PyUnicode_READ(kind, data, i) == 47:
                        segments[count].text = <PyObject *>path
                        segments[count].start = start
                        segments[count].end = i
                        count += 1
                        start = i + 1
        else:
            for item in decoded:
                segments[count].text = <PyObject *>item
                segments[count].start = 0
                segments[count].end = PyUnicode_GET_LENGTH(<str>item)
                count += 1
        return _search_tree(tree, method, method_index, path if decoded is None else None,
                            decoded, segments, count, static_leaf)
    finally:
        if segments != stack_segments:
            free(segments)


cdef RouteMatch _search_tree(RadixTree tree, str method, int method_index, str raw, list decoded,
                             Segment *segments, Py_ssize_t count, _Leaf static_leaf):
    cdef SearchState state
    cdef _Target target
    cdef list leaves
    cdef Py_ssize_t i
    state.method = <PyObject *>method
    state.method_index = method_index
    state.raw = <PyObject *>raw if raw is not None else NULL
    state.decoded = <PyObject *>decoded if decoded is not None else NULL
    state.target = NULL
    state.matched = NULL
    state.count = 0
    state.segments = segments
    try:
        if _reaches(<PyObject *>tree._root, count) and \
                _search(<_Node>tree._root, segments, 0, count, &state):
            target = <_Target>state.target
            return _new_match(MATCH_FOUND, target.route, target.endpoint,
                              _build_params(target, &state), _EMPTY, None, False)
        leaves = <list>state.matched if state.matched != NULL else None
    finally:
        # The state owns its values and its list of leaves, also on errors
        # raised by a user converter.
        for i in range(state.count):
            Py_XDECREF(state.values[i])
        Py_XDECREF(state.matched)
    if static_leaf is not None:
        if leaves is None:
            leaves = [static_leaf]
        else:
            leaves.append(static_leaf)
    if leaves is None:
        return _NOT_FOUND
    if method == "OPTIONS":
        return _new_match(MATCH_FOUND, None, None, {}, _union_allowed(leaves), None, True)
    return _new_match(MATCH_METHOD_NOT_ALLOWED, None, None, {},
                      _union_allowed(leaves), None, False)


cdef str _toggle_trailing_slash(str path):
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(path)
    if n <= 1:
        return None
    if path.endswith("/"):
        return path[:-1]
    return path + "/"


cdef inline void _push(SearchState *state, object value, Py_ssize_t source) noexcept:
    if value is _SEGMENT_TEXT:
        state.values[state.count] = NULL
    else:
        Py_INCREF(value)
        state.values[state.count] = <PyObject *>value
    state.sources[state.count] = source
    state.count += 1


cdef inline void _pop(SearchState *state) noexcept:
    state.count -= 1
    Py_XDECREF(state.values[state.count])


cdef inline void _push_text(SearchState *state, Py_ssize_t source) noexcept:
    # The value is the segment's own text, made into a str only on success.
    state.values[state.count] = NULL
    state.sources[state.count] = source
    state.count += 1


cdef int _push_converted(EdgeSlot *slot, Segment *seg, SearchState *state,
                         Py_ssize_t index) except -1:
    # 1 when the edge's converter takes the segment (its value is pushed),
    # 0 when it refuses it. Kept out of _search so that the search's own
    # frame holds no object references to clean up.
    value = _convert(<_Edge>slot.edge, seg)
    if value is _NO_MATCH:
        return 0
    _push(state, value, index)
    return 1


cdef bint _search(_Node node, Segment *segments, Py_ssize_t index, Py_ssize_t count,
                  SearchState *state) except -1:
    # Depth-first, in priority order: static child, typed and str parameters
    # by weight, then `path`. True as soon as a leaf has the method.
    # PERF: children are borrowed pointers and edges a C array, so a step
    # touches no reference count (bench/micro/callgrind_router.py: found).
    cdef PyObject *child
    cdef EdgeSlot *slot
    cdef Segment *seg
    cdef Py_ssize_t i, remaining
    if index == count:
        return _arrive(<PyObject *>node.leaf, state)
    seg = &segments[index]
    remaining = count - index - 1
    child = _static_child(node, seg)
    if child != NULL and _reaches(child, remaining) and \
            _search(<_Node>child, segments, index + 1, count, state):
        return True
    # No parameter matches an empty segment ("//" or the trailing slash).
    if seg.end > seg.start:
        for i in range(node.edge_count):
            slot = &node.edge_slots[i]
            if not _reaches(slot.child, remaining):
                continue
            if slot.kind == KIND_STR:
                _push_text(state, index)
            elif not _push_converted(slot, seg, state, index):
                continue
            if _search(<_Node>slot.child, segments, index + 1, count, state):
                return True
            _pop(state)
    if node.path_edge is not None:
        return _search_rest(node, seg, index, state)
    return False


cdef bint _search_rest(_Node node, Segment *seg, Py_ssize_t index,
                       SearchState *state) except -1:
    # The `path` edge at `node`: the rest of the path from `seg` on.
    cdef object raw
    if state.raw != NULL:
        # The rest of the raw path is exactly "/".join of its segments.
        raw = <object>state.raw
        rest = PyUnicode_Substring(raw, seg.start, PyUnicode_GET_LENGTH(raw))
    else:
        rest = "/".join((<list>state.decoded)[index:])
    if _is_safe_relative(rest):
        _push(state, rest, index)
        if _arrive(<PyObject *>node.path_edge.child.leaf, state):
            return True
        _pop(state)
    return False


cdef inline bint _arrive(PyObject *leaf, SearchState *state) except -1:
    # `leaf` is a borrowed _Leaf, or None.
    if leaf == <PyObject *>None:
        return False
    cdef PyObject *found = _target_for(<_Leaf>leaf, <str>state.method, state.method_index)
    if found != NULL:
        state.target = found
        return True
    if state.matched == NULL:
        matched = []
        Py_INCREF(matched)
        state.matched = <PyObject *>matched
    (<list>state.matched).append(<_Leaf>leaf)
    return False


cdef str _describe(_Leaf leaf):
    return "  ".join(
        f"{method}={(<_Target>leaf.targets[method]).label}" for method in sorted(leaf.targets)
    )


cdef int _dump_node(_Node node, int depth, list lines) except -1:
    indent = "  " * depth
    if node.leaf is not None:
        lines.append(f"{indent}-> {_describe(node.leaf)}")
    if node.static is not None:
        for key in sorted(node.static):
            lines.append(f"{indent}/{key}")
            _dump_node(<_Node>node.static[key], depth + 1, lines)
    for item in node.params:
        edge = <_Edge>item
        lines.append(f"{indent}/{{:{edge.label}}}  (weight {edge.weight})")
        _dump_node(edge.child, depth + 1, lines)
    if node.path_edge is not None:
        lines.append(f"{indent}/{{:path}}  (rest of the path)")
        _dump_node(node.path_edge.child, depth + 1, lines)
    return 0
