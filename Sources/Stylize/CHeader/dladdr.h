/* glibc declares dladdr() and Dl_info only under _GNU_SOURCE, which the Swift
 * Glibc module does not set; the library needs it to find its own folder. */
#ifndef STYLIZE_DLADDR_H
#define STYLIZE_DLADDR_H
typedef struct stylize_dl_info {
    const char *dli_fname;
    void *dli_fbase;
    const char *dli_sname;
    void *dli_saddr;
} stylize_dl_info;
int dladdr(const void *address, stylize_dl_info *info);
#endif
