# Helpers shared by the kernels that reuse an object nobody else can see
# (the parser's request heads, the responses made by a class's constructor)
# instead of freeing it and allocating the same kind of object again.
#
# Inline only: cimported at compile time, no module of its own.

from cpython.object cimport Py_TPFLAGS_HEAPTYPE, PyObject, PyTypeObject


cdef extern from *:
    """
    /* Whether `o` is referenced only by the one reference its caller holds,
       and by no weak reference: nothing else can see it change. */
    static inline int fastcore_unshared(PyObject *o) {
        Py_ssize_t weaklist = Py_TYPE(o)->tp_weaklistoffset;
        if (Py_REFCNT(o) != 1)
            return 0;
        return weaklist <= 0 || *(PyObject **)((char *)o + weaklist) == NULL;
    }
    """
    bint unshared "fastcore_unshared"(PyObject* o) noexcept


cdef inline bint renewable_type(type cls, type base) except -1:
    # Whether tp_clear, and resetting `base`'s own fields, leaves an object
    # of `cls` (a subclass of the compiled `base`) as a new one would be: the
    # classes between them are Python classes that add only __slots__ (which
    # tp_clear empties). A compiled subclass's own C fields, an instance
    # __dict__, or a __del__ (not run for a reused object) rule it out.
    cdef PyTypeObject* t = <PyTypeObject*>cls
    if t.tp_dictoffset != 0 or t.tp_finalize != NULL or t.tp_del != NULL or t.tp_clear == NULL:
        return False
    for klass in cls.__mro__:
        if klass is base:
            return True
        if not (<PyTypeObject*>klass).tp_flags & Py_TPFLAGS_HEAPTYPE:
            return False
    return False
