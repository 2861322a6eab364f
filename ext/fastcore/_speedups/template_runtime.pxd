# The template runtime's C-level contract: the types compiled templates use at
# every render. Other Cython modules may cimport these for direct calls.

cdef class Undefined:
    cdef readonly object _undefined_hint
    cdef readonly object _undefined_obj
    cdef readonly object _undefined_name
    cdef readonly object _undefined_exception
    cdef str _message(self)
    cdef object _fail(self)


cdef class StrictUndefined(Undefined):
    pass


cdef class Context:
    cdef readonly object environment
    cdef readonly object name
    cdef public dict parent
    cdef public dict vars
    cdef public set exported_vars
    cdef public dict blocks
    cdef public object undefined
    cdef public bint autoescape
    cpdef object resolve(self, str key)


cdef class LoopContext:
    cdef list _items
    cdef Py_ssize_t _index0
    cdef Py_ssize_t _length
    cdef readonly Py_ssize_t depth0
    cdef object _undefined
    cdef object _recurse
    cdef object _last_changed


cdef class Macro:
    cdef readonly object _func
    cdef readonly str name
    cdef readonly tuple arguments
    cdef readonly bint catch_kwargs
    cdef readonly bint catch_varargs
    cdef readonly bint caller
    cdef readonly bint explicit_caller
    cdef object _undefined
    cdef Py_ssize_t _argument_count


cpdef str escape_str(str s)
cpdef str striptags(str s)
cpdef str unescape_html(str s)
cpdef object escape(object s)
cpdef object render_escaped(object value)
cpdef object render_str(object value)
cpdef object lookup_attr(object obj, str attribute, object undefined)
cpdef object lookup_item(object obj, object key, object undefined)
