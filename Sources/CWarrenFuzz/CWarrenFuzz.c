// The declaration in include/CWarrenFuzz.h is all this target provides; a C target needs a source.
#include "CWarrenFuzz.h"
