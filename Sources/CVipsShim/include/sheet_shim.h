// Contact sheets for `stylize study`, composed with libvips (arrayjoin, join,
// embed, text) behind one non-variadic call that Swift can make.
#ifndef STYLIZE_SHEET_SHIM_H
#define STYLIZE_SHEET_SHIM_H

// Writes a contact sheet to `out_path` (format from its extension, written to
// a temporary name and renamed into place). `count` cells in rows of `columns`:
// cell i is the image file paths[i] (NULL or "" = a blank cell) fitted into
// cell x cell pixels on white, with labels[i] (plain text, '\n' for lines;
// NULL or "" = none) centred underneath. `title` (may be NULL) goes on top.
// Returns 0 on success; the error is in stylize_vips_error().
int stylize_sheet_compose(const char *out_path, const char *const *paths, const char *const *labels,
                          int count, int columns, int cell, const char *title);

#endif
