// jemalloc's control interface (mallctl) as one module; only ServiceRuntime's HeapAllocator
// imports it. Linking it makes jemalloc every service process's malloc (see HeapAllocator).
#include <jemalloc/jemalloc.h>
