/* libFuzzer harness: the fuzz input is insured_units.csv of an import whose two
 * other extracts are valid (see import_harness.h for what is checked). */
#define FUZZ_EXTRACT RB_IMPORT_INSURED_UNITS
#include "import_harness.h"
