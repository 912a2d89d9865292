/* libFuzzer harness: the fuzz input is contributions.csv of an import whose two
 * other extracts are valid (see import_harness.h for what is checked). */
#define FUZZ_EXTRACT RB_IMPORT_CONTRIBUTIONS
#include "import_harness.h"
