// The Z3 C API (Debian libz3-dev 4.8.12 or later), found through pkg-config z3.
#include <z3.h>
