#ifndef MTFSIM_COPENBLAS_SHIM_H
#define MTFSIM_COPENBLAS_SHIM_H
/* OpenBLAS's CBLAS interface plus its run-time queries (openblas_get_corename, openblas_set_num_threads). */
#include <cblas.h>
#endif
