/* restart_probe.c - stylize_blas_restart() called as a program that owns its
 * process calls it (the stylize tool, the GIMP plug-ins). run.sh checks that it
 * starts again, same pid and arguments, with the fitting OpenBLAS core set,
 * exactly when stylize_blas_restart_core() names one, and only once. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <stylize.h>

static const char *or_dash(const char *s) { return s && *s ? s : "-"; }

int main(int argc, char **argv)
{
    const char *arg = argc > 1 ? argv[1] : "-";
    printf("start pid %d arg %s core %s\n", (int)getpid(), arg, or_dash(stylize_blas_restart_core()));
    fflush(stdout);  /* exec replaces the process, buffers and all */
    stylize_blas_restart(argv);
    printf("run pid %d arg %s OPENBLAS_CORETYPE %s fallback %s\n", (int)getpid(), arg,
           or_dash(getenv("OPENBLAS_CORETYPE")), or_dash(getenv("STYLIZE_OPENBLAS_FALLBACK")));
    return 0;
}
