/*
 * stylize-strength.h - the dialogs' "Style strength" slider (GIMP 2.10 and
 * GIMP 3 alike): s in 0..100 stands for the style weight
 *
 *     w = 10^(LOW + (HIGH - LOW) s / 100),  LOW = -6, HIGH = -2,
 *
 * so 50 is the option table's default 1e-4 and every 25 steps multiply the
 * weight by ten. One definition, so the two dialogs never drift.
 */
#ifndef STYLIZE_STRENGTH_H
#define STYLIZE_STRENGTH_H

#include <math.h>

#define STYLIZE_STRENGTH_LOG_LOW  (-6.0)
#define STYLIZE_STRENGTH_LOG_HIGH (-2.0)

/* The style weight of strength s (0..100). */
static inline double
stylize_strength_weight(double s)
{
    return pow(10, STYLIZE_STRENGTH_LOG_LOW + (STYLIZE_STRENGTH_LOG_HIGH - STYLIZE_STRENGTH_LOG_LOW) * s / 100);
}

/* The strength showing weight w, clamped to 0..100 (0 for w <= 0). */
static inline double
stylize_weight_strength(double w)
{
    if (!(w > 0))
        return 0;
    double s = (log10(w) - STYLIZE_STRENGTH_LOG_LOW) / (STYLIZE_STRENGTH_LOG_HIGH - STYLIZE_STRENGTH_LOG_LOW) * 100;
    return s < 0 ? 0 : s > 100 ? 100 : s;
}

#endif
