// Debian's OpenBLAS (pthreads build): cblas_sgemm and the thread controls.
#include <cblas.h>
